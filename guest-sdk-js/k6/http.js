// `k6/http`: wasmload's HTTP module under k6's name.
export * from "wasmload/http.js";
export { default } from "wasmload/http.js";
