/** Reads a secret from the terminal without echoing it (raw mode; Enter ends, Ctrl-C aborts). */
import { ClientError, ClientErrorCode } from '../errors.ts'

export function promptSecretFromTty(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt)
    const wasRaw = input.isRaw
    input.setRawMode(true)
    input.resume()
    input.setEncoding('utf8')
    let secret = ''
    const finish = (err: Error | null): void => {
      input.off('data', onData)
      input.setRawMode(wasRaw)
      input.pause()
      output.write('\n')
      if (err) reject(err)
      else resolve(secret)
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(null)
        if (ch === '\u0003' || ch === '\u0004') return finish(new ClientError(ClientErrorCode.NO_PASSPHRASE, 'cancelled'))
        if (ch === '\u007f' || ch === '\b') secret = secret.slice(0, -1)
        else secret += ch
      }
    }
    input.on('data', onData)
  })
}
