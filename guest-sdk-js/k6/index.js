// `k6`: wasmload's SDK under k6's module name, so a k6 script's imports work unchanged.
export * from "wasmload";
export { default } from "wasmload";
