/**
 * The fastify edge: HTTP POST / (single and batch JSON-RPC), GET /openrpc.json, and WebSocket
 * /ws (every method plus subscriptions). Limits: body size (413 with a -32005 body; WebSocket
 * messages over the limit close the socket with 1009), batch size, per-IP token bucket, per-call
 * timeout, subscriptions per socket, and the slow-subscriber limits of subscriptions.ts.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import { pino } from 'pino'
import { RpcErrorCode, type RpcResponse } from '../../core/rpc-wire.ts'
import type { RpcBackend } from './backend.ts'
import { createDispatcher, type DispatchResult } from './dispatcher.ts'
import { RpcDataCode } from './errors.ts'
import { createMethodHandlers } from './methods.ts'
import { createParamValidator } from './param-validator.ts'
import { createRateLimiter, type RateLimitOptions } from './rate-limiter.ts'
import { methodSpecs, openRpcDocument } from './schemas.ts'
import { SubscriptionHub, type SubscriberSocket } from './subscriptions.ts'

export const RPC_API_VERSION = '1.0.0'

export interface RpcServerOptions {
  readonly backend: RpcBackend
  /** Default 127.0.0.1. */
  readonly host?: string
  /** 0 picks a free port. */
  readonly port: number
  /** Largest HTTP body / WebSocket message. Default 1 MiB (a max-size tx as hex is 512 KiB). */
  readonly bodyLimitBytes?: number
  /** Per client IP; every call (each batch element) takes a token. Default 200/s, burst 400; false disables. */
  readonly rateLimit?: RateLimitOptions | false
  /** Per call. Default 10 000 ms. */
  readonly requestTimeoutMs?: number
  /** Default 100. */
  readonly maxBatchSize?: number
  /** Default 32. */
  readonly maxSubscriptionsPerSocket?: number
  /** Messages written to a socket but not yet flushed to the kernel before it is dropped. Default 256. */
  readonly subscriberQueueLimit?: number
  /** Bytes buffered in user space for a socket before it is dropped. Default 4 MiB. */
  readonly subscriberBufferLimitBytes?: number
  /** Time a dropped or closing socket gets to finish its close handshake. Default 2 000 ms. */
  readonly dropGraceMs?: number
  /** A pino-compatible logger; silent by default. */
  readonly logger?: FastifyBaseLogger
  /** Clock for the rate limiter (ms); performance.now by default. */
  readonly now?: () => number
}

export interface RpcServerStats {
  readonly sessions: number
  readonly subscriptions: number
  readonly droppedSubscribers: number
  readonly rateLimitedCalls: number
  readonly internalErrors: number
}

export interface RpcServer {
  start(): Promise<{ host: string; port: number }>
  stop(): Promise<void>
  /** http://host:port (the WebSocket endpoint is ws://host:port/ws). */
  url(): string
  stats(): RpcServerStats
}

/** The part of a `ws` WebSocket used here (the package ships no types and @types/ws is not installed). */
interface WsSocket extends SubscriberSocket {
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void
  on(event: 'close', listener: () => void): void
}

const json = (response: RpcResponse | RpcResponse[]): string => JSON.stringify(response)

export function createRpcServer(options: RpcServerOptions): RpcServer {
  const host = options.host ?? '127.0.0.1'
  const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024
  const logger = options.logger ?? pino({ level: 'silent' })
  const counters = { rateLimitedCalls: 0, internalErrors: 0 }
  const rateLimit = options.rateLimit === undefined ? { requestsPerSecond: 200, burst: 400 } : options.rateLimit
  const document = openRpcDocument(RPC_API_VERSION)

  const hub = new SubscriptionHub({
    maxSubscriptionsPerSocket: options.maxSubscriptionsPerSocket ?? 32,
    queueLimit: options.subscriberQueueLimit ?? 256,
    bufferLimitBytes: options.subscriberBufferLimitBytes ?? 4 * 1024 * 1024,
    dropGraceMs: options.dropGraceMs ?? 2_000,
    onDrop: (reason) => logger.warn({ reason }, 'rpc: dropped a slow subscriber'),
    onError: (error) => {
      counters.internalErrors += 1
      logger.error({ err: error }, 'rpc: could not publish a block to subscribers')
    },
  })
  const dispatcher = createDispatcher({
    specs: methodSpecs,
    handlers: createMethodHandlers({ backend: options.backend, openRpcDocument: () => document }),
    validator: createParamValidator(methodSpecs),
    ...(rateLimit ? { rateLimiter: createRateLimiter(rateLimit, options.now) } : {}),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    maxBatchSize: options.maxBatchSize ?? 100,
    onInternalError: (error, method) => {
      counters.internalErrors += 1
      logger.error({ err: error, method }, 'rpc: internal error')
    },
    onRateLimited: () => {
      counters.rateLimitedCalls += 1
    },
  })

  let app: FastifyInstance | undefined
  let address: { host: string; port: number } | undefined

  const build = async (): Promise<FastifyInstance> => {
    const f = Fastify({
      loggerInstance: logger,
      // Per-request logs would let any client flood the node's log.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit,
      // Time to receive a whole HTTP request (headers and body): bounds slow-body clients.
      requestTimeout: 30_000,
      return503OnClosing: true,
    })
    // Every body is read as text and parsed by the dispatcher, whatever its content type, so
    // that malformed JSON is a JSON-RPC parse error (-32700) rather than a fastify 400.
    f.removeAllContentTypeParsers()
    f.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))

    f.setErrorHandler((error: FastifyError, _request, reply) => {
      const tooLarge = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      const status = tooLarge ? 413 : error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
      if (status === 500) {
        counters.internalErrors += 1
        logger.error({ err: error }, 'rpc: http error')
      }
      const rpcError = tooLarge
        ? { code: RpcErrorCode.REQUEST_TOO_LARGE, message: `request body exceeds ${bodyLimit} bytes`, data: { code: RpcDataCode.REQUEST_TOO_LARGE, limit: bodyLimit } }
        : status === 500
          ? { code: RpcErrorCode.INTERNAL, message: 'internal error', data: { code: RpcDataCode.INTERNAL } }
          : { code: RpcErrorCode.INVALID_REQUEST, message: error.message, data: { code: RpcDataCode.INVALID_REQUEST } }
      void reply.code(status).type('application/json; charset=utf-8').send(json({ jsonrpc: '2.0', id: null, error: rpcError }))
    })
    f.setNotFoundHandler((request, reply) => {
      void reply.code(404).type('application/json; charset=utf-8').send(json({
        jsonrpc: '2.0', id: null,
        error: { code: RpcErrorCode.METHOD_NOT_FOUND, message: `no such endpoint: ${request.method} ${request.url.slice(0, 100)} (JSON-RPC is POST /, WebSocket /ws)`, data: { code: RpcDataCode.METHOD_NOT_FOUND } },
      }))
    })

    await f.register(fastifyWebsocket, {
      options: { maxPayload: bodyLimit },
      // Errors on an established socket (a client vanishing mid-frame, an oversized message):
      // the client's problem, not the node's.
      errorHandler: (error, socket) => {
        logger.debug({ err: error }, 'rpc: websocket error')
        socket.terminate()
      },
    })

    f.post('/', async (request, reply) => {
      const text = typeof request.body === 'string' ? request.body : ''
      const response: DispatchResult = await dispatcher.handle(text, { clientKey: request.ip })
      if (response === undefined) return reply.code(204).send()
      const rateLimited = !Array.isArray(response) && response.error?.code === RpcErrorCode.RATE_LIMITED
      return reply.code(rateLimited ? 429 : 200).type('application/json; charset=utf-8').send(json(response))
    })

    f.get('/openrpc.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(document)))

    f.get('/ws', { websocket: true }, (rawSocket, request) => {
      const socket = rawSocket as WsSocket
      const session = hub.openSession(socket)
      const clientKey = request.ip
      socket.on('message', (data, isBinary) => {
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8')
        if (isBinary) logger.debug('rpc: binary websocket message treated as text')
        dispatcher.handle(text, { clientKey, session }).then(
          (response) => {
            if (response !== undefined) session.send(json(response))
          },
          (error: unknown) => logger.error({ err: error }, 'rpc: websocket dispatch failed'),
        )
      })
      socket.on('close', () => session.close())
    })
    return f
  }

  return {
    async start() {
      if (address) return address
      const f = await build()
      hub.start(options.backend)
      let bound: ReturnType<typeof f.server.address>
      try {
        await f.listen({ host, port: options.port })
        bound = f.server.address()
        if (bound === null || typeof bound === 'string') throw new Error('rpc: server has no TCP address')
      } catch (e) {
        // e.g. EADDRINUSE: leave nothing behind (no backend listener, no half-open server).
        hub.stop()
        await f.close()
        throw e
      }
      app = f
      address = { host, port: bound.port }
      logger.info({ url: `http://${host}:${bound.port}` }, 'rpc: listening')
      return address
    },
    async stop() {
      hub.stop()
      const running = app
      app = undefined
      address = undefined
      if (running) await running.close()
    },
    url() {
      if (!address) throw new Error('rpc: server is not started')
      const h = address.host.includes(':') ? `[${address.host}]` : address.host
      return `http://${h}:${address.port}`
    },
    stats() {
      return { ...hub.stats(), ...counters }
    },
  }
}
