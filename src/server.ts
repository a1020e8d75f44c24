/** startServer: the runtime, listening. `charthero serve` calls it. */
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
  return { url: address, runtime, close: () => runtime.close() };
}
