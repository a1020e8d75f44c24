/**
 * Preloaded with `node --import` into a tool under test: records every outbound connection, DNS lookup and fetch
 * the process attempts (one line each, in the file NETWORK_LOG names), so a test can prove a tool stays offline.
 */
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const record = (what) => appendFileSync(process.env.NETWORK_LOG, `${what}\n`);

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const target = args[0];
  record(`connect ${typeof target === 'object' ? JSON.stringify({ host: target.host, port: target.port }) : target}`);
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) {
  record(`lookup ${host}`);
  return lookup.call(this, host, ...rest);
};
const fetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  record(`fetch ${String(input?.url ?? input)}`);
  return fetch(input, init);
};
