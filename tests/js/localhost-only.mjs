// Preload (`node --import`) that keeps every server on 127.0.0.1: Alto 0.0.20 listens on
// 0.0.0.0 and has no flag to change it, and tests serve loopback only.
import net from 'node:net'

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const o = args[0]
  if (o && typeof o === 'object' && [undefined, '0.0.0.0', '::'].includes(o.host)) {
    args[0] = { ...o, host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}
