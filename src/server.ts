/** startServer: the runtime, listening. `charthero serve` calls it. */
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export interface RunningServer {
  url: string;
  runtime: Runtime;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: RuntimeOptions = {}): Promise<RunningServer> {
  const runtime = await createRuntime(config, options);
  const address = await runtime.app.listen({ host: config.host, port: config.port });
  runtime.listeningOn((runtime.app.server.address() as AddressInfo).port);
  return { url: address, runtime, close: () => runtime.close() };
}
