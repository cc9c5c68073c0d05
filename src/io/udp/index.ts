/** UDP sockets for drivers (see udp-socket.ts): synchronous bind and send on Node's dgram. */
export { UdpSocket, type UdpBindFailure, type UdpBindResult, type UdpSendDone, type UdpSocketOptions } from './udp-socket.js';
