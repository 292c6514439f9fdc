// `k6/metrics`: wasmload's custom metrics under k6's name.
export * from "wasmload/metrics.js";
export { default } from "wasmload/metrics.js";
