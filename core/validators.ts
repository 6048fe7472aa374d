/**
 * The permissioned validator set, fixed at genesis, and its quorum rule.
 *
 * - `bft` (default): quorum = floor(2n/3) + 1 (7 of 10). Safe while at most floor((n-1)/3)
 *   validators are Byzantine (3 of 10): two quorums always share an honest validator.
 * - `majority`: quorum = floor(n/2) + 1 (6 of 10), the paper's "more than half". Survives up to
 *   n - quorum crashed validators (4 of 10) but is NOT safe against a single equivocating
 *   validator in the worst case: two majorities may overlap in one Byzantine node only.
 */
import { domainTag, sha256d } from './hash.ts'
import { encodeTrusted } from './encoding.ts'
import { CoreError, CoreErrorCode } from './errors.ts'
import { addressFromPublicKey, assertValidPublicKey, formatAddress } from './keys.ts'
import { bytesEqual } from './hex.ts'

export type QuorumMode = 'bft' | 'majority'

export interface Validator {
  readonly publicKey: Uint8Array
  readonly address: Uint8Array
}

export interface ValidatorSet {
  readonly validators: readonly Validator[]
  readonly quorumMode: QuorumMode
  /** Votes needed for a decision. */
  readonly quorum: number
  /** SHA-256d commitment carried in every block header. */
  readonly hash: Uint8Array
}

export function quorumSize(n: number, mode: QuorumMode): number {
  return mode === 'bft' ? Math.floor((2 * n) / 3) + 1 : Math.floor(n / 2) + 1
}

/** @throws CoreError BAD_SHAPE / BAD_PUBLIC_KEY on an empty set, duplicates or bad keys. */
export function createValidatorSet(publicKeys: readonly Uint8Array[], quorumMode: QuorumMode = 'bft'): ValidatorSet {
  if (publicKeys.length === 0) throw new CoreError(CoreErrorCode.BAD_SHAPE, 'validator set is empty')
  if (quorumMode !== 'bft' && quorumMode !== 'majority') throw new CoreError(CoreErrorCode.BAD_SHAPE, `unknown quorum mode '${String(quorumMode)}'`)
  const seen = new Set<string>()
  const validators = publicKeys.map((pk) => {
    assertValidPublicKey(pk)
    const id = Buffer.from(pk).toString('hex')
    if (seen.has(id)) throw new CoreError(CoreErrorCode.BAD_SHAPE, `validator ${id} listed twice`)
    seen.add(id)
    return Object.freeze({ publicKey: new Uint8Array(pk), address: addressFromPublicKey(pk) })
  })
  const hash = sha256d(domainTag('validators'), encodeTrusted([quorumMode, validators.map((v) => v.publicKey)]))
  return Object.freeze({ validators, quorumMode, quorum: quorumSize(validators.length, quorumMode), hash })
}

export function validatorIndexOf(set: ValidatorSet, publicKey: Uint8Array): number {
  return set.validators.findIndex((v) => bytesEqual(v.publicKey, publicKey))
}

export function describeValidator(set: ValidatorSet, index: number): string {
  const v = set.validators[index]
  return v ? `#${index} ${formatAddress(v.address)}` : `#${index} (unknown)`
}

/** Round-robin proposer: deterministic from height and round, equal voting power. */
export function proposerIndex(set: ValidatorSet, height: number, round: number): number {
  return (height + round) % set.validators.length
}
