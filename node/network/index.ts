/**
 * node/network: the validator network over libp2p 3 (see README.md).
 * May import core/ and libp2p packages; nothing in node/ outside this folder.
 */
export {
  createValidatorNetwork,
  DEFAULT_NETWORK_LIMITS,
  GOSSIP_PROTOCOL,
  REQUEST_PROTOCOL,
  type MessageHandler,
  type NetworkLimits,
  type NetworkLogger,
  type NetworkStats,
  type PeerAddress,
  type PeerCounters,
  type PeerStats,
  type RequestHandler,
  type RequestOptions,
  type ValidatorNetwork,
  type ValidatorNetworkOptions,
} from './validator-network.ts'
export { NetworkError, NetworkErrorCode, isNetworkError } from './errors.ts'
export { peerIdFromValidatorPublicKey, peerIdFromSecretKey, validatorPublicKeyFromPeerId } from './peer-identity.ts'
