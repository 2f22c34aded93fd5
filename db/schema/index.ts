export * from "./accounts";
export * from "./api-keys";
export * from "./contacts";
export * from "./csms";
export * from "./events";
export * from "./workspaces";
