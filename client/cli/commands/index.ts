/** Every command of the `medchain` CLI, in help order. */
import type { CommandSpec } from '../framework.ts'
import { anchorCommand } from './anchor.ts'
import { callCommand, deployCommand, sendCommand, statusCommand, txCommand } from './chain.ts'
import { hashCommand } from './hash.ts'
import { keysCreate, keysImport, keysList, keysShow } from './keys.ts'
import { proofCommand, verifyCommand } from './proof.ts'
import {
  grantCommand, lookupCommand, profileCommand, recordCommand, recordsCommand, revokeCommand, setBirthdayCommand, setContactCommand,
} from './xray.ts'

export const COMMANDS: readonly CommandSpec[] = [
  keysCreate, keysImport, keysList, keysShow,
  hashCommand,
  statusCommand, deployCommand, callCommand, sendCommand, txCommand, proofCommand,
  grantCommand, revokeCommand, recordCommand, setBirthdayCommand, setContactCommand, profileCommand, recordsCommand, lookupCommand,
  anchorCommand, verifyCommand,
]
