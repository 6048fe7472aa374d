/**
 * An in-memory `ChainDriver`: the paper's `xr` contract rules (gov grants and revokes, only a
 * permitted doctor records, only permitted readers read) on a plain Map, with no chain under it.
 * It exists to test the runner and the report without installing anything, to dry-run the
 * harness (`--chains memory`), and as a small reference for what a driver must do.
 */
import type { ChainDriver, PaperScenario, PatientProfile, ProgressFn, RecordOutcome, RefusalEvidence, XrayRecord } from './workload.ts'
import { BenchError, BenchErrorCode } from './errors.ts'

interface Permission {
  name: string
  userType: number
  allowed: boolean
}

const GOV = 'gov'
const HOST = 'host'
const DOCTOR = 'dr-lee'
const PATIENT = 'patient'
const USER_TYPE = { doctor: 1, host: 2, patient: 3 } as const

/** The contract's rules; every method throws `NOT_*` like a Solidity `require`. */
class XrayState {
  readonly permissions = new Map<string, Permission>()
  readonly records: XrayRecord[] = []
  birthday = ''
  contact = ''
  constructor(readonly name: string, readonly gov: string, readonly age: number) {}
  private refuse(reason: string): never {
    throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `reverted: ${reason}`)
  }
  private canRead(who: string): boolean {
    return who === this.gov || this.permissions.get(who)?.allowed === true
  }
  setPermission(sender: string, user: string, name: string, userType: number, allowed: boolean): void {
    if (sender !== this.gov) this.refuse('NOT_GOV')
    this.permissions.set(user, { name, userType, allowed })
  }
  removePermission(sender: string, user: string): void {
    if (sender !== this.gov) this.refuse('NOT_GOV')
    const p = this.permissions.get(user)
    if (p) p.allowed = false
  }
  setXrayhash(sender: string, part: string, hash: string): void {
    const p = this.permissions.get(sender)
    if (!p || !p.allowed || p.userType !== USER_TYPE.doctor) this.refuse('NOT_DOCTOR')
    this.records.push({ doctorName: p.name, part, hash })
  }
  setBirthday(sender: string, v: string): void {
    const p = this.permissions.get(sender)
    if (!p || !p.allowed || p.userType !== USER_TYPE.host) this.refuse('NOT_HOST')
    this.birthday = v
  }
  setContact(sender: string, v: string): void {
    const p = this.permissions.get(sender)
    if (!p || !p.allowed || p.userType !== USER_TYPE.host) this.refuse('NOT_HOST')
    this.contact = v
  }
  getXrayhashCount(sender: string): number {
    if (!this.canRead(sender)) this.refuse('NOT_PERMITTED')
    return this.records.length
  }
  getXrayhash(sender: string, i: number): XrayRecord {
    if (!this.canRead(sender)) this.refuse('NOT_PERMITTED')
    const r = this.records[i]
    if (!r) this.refuse('NO_SUCH_RECORD')
    return r
  }
  profile(sender: string): PatientProfile {
    if (!this.canRead(sender)) this.refuse('NOT_PERMITTED')
    return { name: this.name, age: this.age, birthday: this.birthday, contact: this.contact }
  }
}

export interface MemoryDriverOptions {
  /** Monotonic ms clock for latencies (defaults to performance.now). */
  readonly now?: () => number
  /** Optional hook to corrupt behaviour in tests (e.g. drop a record) to prove checks catch it. */
  readonly tamper?: { dropLastRecord?: boolean; acceptRevokedWrite?: boolean }
}

export function createMemoryDriver(options: MemoryDriverOptions = {}): ChainDriver {
  const now = options.now ?? (() => performance.now())
  let state: XrayState | undefined
  let part = 'chest'
  const contract = (): XrayState => {
    if (!state) throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, 'setup has not run')
    return state
  }
  const record = async (hashes: readonly string[], progress: ProgressFn): Promise<RecordOutcome> => {
    const latenciesMs: number[] = []
    for (const h of hashes) {
      const t0 = now()
      contract().setXrayhash(DOCTOR, part, h)
      await Promise.resolve()
      latenciesMs.push(now() - t0)
      progress(latenciesMs.length, hashes.length)
    }
    return { latenciesMs }
  }
  return {
    id: 'memory',
    label: 'in-memory reference (no chain)',
    role: 'subject',
    async setup(s: PaperScenario) {
      part = s.part
      state = new XrayState(s.patientName, GOV, s.patientAge)
      state.setPermission(GOV, DOCTOR, s.doctorName, s.doctorUserType, true)
      state.setPermission(GOV, HOST, 'host', USER_TYPE.host, true)
      state.setPermission(GOV, PATIENT, s.patientName, USER_TYPE.patient, true)
      state.setBirthday(HOST, s.birthday)
      state.setContact(HOST, s.contact)
    },
    recordSequential: record,
    recordPipelined: record,
    async readProfile() {
      return contract().profile(PATIENT)
    },
    async readAll(progress) {
      const c = contract()
      const count = c.getXrayhashCount(PATIENT) - (options.tamper?.dropLastRecord ? 1 : 0)
      const out: XrayRecord[] = []
      for (let i = 0; i < count; i++) {
        out.push(c.getXrayhash(PATIENT, i))
        progress(i + 1, count)
      }
      return out
    },
    async revokeAndCheckRefused(probeHash): Promise<RefusalEvidence> {
      const c = contract()
      c.removePermission(GOV, DOCTOR)
      const countBefore = c.getXrayhashCount(PATIENT)
      if (options.tamper?.acceptRevokedWrite) c.permissions.get(DOCTOR)!.allowed = true
      try {
        c.setXrayhash(DOCTOR, part, probeHash)
        return { refused: false, how: 'accepted', countBefore, countAfter: c.getXrayhashCount(PATIENT) }
      } catch (e) {
        return { refused: true, how: (e as Error).message, countBefore, countAfter: c.getXrayhashCount(PATIENT) }
      }
    },
    async teardown() {
      state = undefined
    },
  }
}
