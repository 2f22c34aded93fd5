export declare function workerSettings(cachedWorkflows?: number): {
  nodeFlags: string[];
  env: Record<string, string>;
};
export declare function processSettings(
  command: string | undefined,
  env: NodeJS.ProcessEnv,
): { nodeFlags: string[]; env: NodeJS.ProcessEnv };
