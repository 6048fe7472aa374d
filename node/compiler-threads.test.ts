import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { lowerV8WorkerPriority, V8_WORKER_THREAD_NAME, type ThreadPriorityDeps } from './compiler-threads.ts'

/** A thread's nice value from /proc/self/task/<tid>/stat (field 19, after the parenthesised name). */
function niceOf(tid: string): number {
  const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[16])
}

function threadsNamed(name: string): string[] {
  return readdirSync('/proc/self/task').filter((t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === name)
}

test('V8 worker threads get the nice value; the main thread keeps its own', { skip: !existsSync('/proc/self/task') && 'needs Linux /proc' }, () => {
  const workers = threadsNamed(V8_WORKER_THREAD_NAME)
  assert.ok(workers.length > 0, 'Node.js runs V8 worker threads')
  const mainNice = niceOf(String(process.pid))
  const result = lowerV8WorkerPriority(7)
  assert.deepEqual(result, { threads: workers.length })
  for (const tid of workers) assert.equal(niceOf(tid), 7, `thread ${tid}`)
  assert.equal(niceOf(String(process.pid)), mainNice)
})

test('nice 0 leaves the threads alone; out-of-range values are refused', () => {
  const calls: number[] = []
  const deps: ThreadPriorityDeps = {
    tasksDir: '/tasks', listDir: () => ['1', '2'], readFile: () => V8_WORKER_THREAD_NAME, setPriority: (id) => calls.push(id),
  }
  assert.deepEqual(lowerV8WorkerPriority(0, deps), { threads: 0, note: 'nice 0: left as they are' })
  assert.deepEqual(calls, [])
  assert.throws(() => lowerV8WorkerPriority(20, deps), RangeError)
  assert.throws(() => lowerV8WorkerPriority(-1, deps), RangeError)
  assert.throws(() => lowerV8WorkerPriority(1.5, deps), RangeError)
})

test('only V8 worker threads are touched; a thread that ended meanwhile or no /proc is reported, never thrown', () => {
  const names: Record<string, string> = { '10': 'MainThread', '11': 'V8Worker', '12': 'libuv-worker', '13': 'V8Worker' }
  const set: [number, number][] = []
  const deps: ThreadPriorityDeps = {
    tasksDir: '/tasks',
    listDir: () => ['10', '11', '12', '13', '14'],
    readFile: (p) => {
      const name = names[p.split('/')[2]!]
      if (name === undefined) throw new Error('ENOENT: thread gone')
      return `${name}\n`
    },
    setPriority: (id, nice) => set.push([id, nice]),
  }
  assert.deepEqual(lowerV8WorkerPriority(19, deps), { threads: 2, note: 'thread 14: ENOENT: thread gone' })
  assert.deepEqual(set, [[11, 19], [13, 19]])
  const noProc = { ...deps, listDir: () => { throw new Error('ENOENT') } }
  assert.deepEqual(lowerV8WorkerPriority(19, noProc), { threads: 0, note: 'no /tasks (not Linux)' })
})
