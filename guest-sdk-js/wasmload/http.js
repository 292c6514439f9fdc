// k6's `k6/http` over wasmload's brokered HTTP: the host sends each request on this user's
// own connection, keeps its cookies, follows redirects, and times and records it.
import wire from "wasmload:scenario/http@0.2.0";
import { decode, encode } from "./utf8.js";

const METHODS = ["get", "head", "post", "put", "patch", "delete", "options"];

/** A duration in milliseconds: a number of ms, or k6's "30s", "1m30s", "500ms". */
export function durationMs(value) {
  if (typeof value === "number") return value;
  let total = 0;
  const units = { ms: 1, s: 1000, m: 60000, h: 3600000 };
  for (const [, amount, unit] of String(value).matchAll(/([\d.]+)(ms|s|m|h)/g)) {
    total += Number(amount) * units[unit];
  }
  return total;
}

function formEncode(fields) {
  return Object.keys(fields)
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(fields[key])}`)
    .join("&");
}

/** The contract's request for k6's (method, url, body, params). */
function toRequest(method, url, body, params) {
  params = params || {};
  const headers = [];
  for (const name of Object.keys(params.headers || {})) headers.push([name, String(params.headers[name])]);
  let bytes = null;
  if (body !== null && body !== undefined) {
    if (typeof body === "string") bytes = encode(body);
    else if (body instanceof Uint8Array) bytes = body;
    else if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
    else {
      bytes = encode(formEncode(body));
      if (!headers.some(([name]) => name.toLowerCase() === "content-type")) {
        headers.push(["Content-Type", "application/x-www-form-urlencoded"]);
      }
    }
  }
  const upper = String(method).toUpperCase();
  const lower = upper === "DEL" ? "delete" : upper.toLowerCase();
  const tags = params.tags || {};
  return {
    method: METHODS.includes(lower) ? { tag: lower } : { tag: "other", val: upper },
    url: String(url),
    query: [],
    headers,
    body: bytes,
    name: tags.name === undefined ? null : String(tags.name),
    timeoutMs: params.timeout === undefined ? null : Math.round(durationMs(params.timeout)),
  };
}

/** k6's response: status, body, headers, json(), timings.duration, error. */
class Response {
  constructor(url, handle, error) {
    this.url = url;
    this.error = error || "";
    this.status = 0;
    this.headers = {};
    this.body = null;
    this.timings = { duration: 0 };
    if (handle) {
      this.status = handle.status();
      for (const [name, value] of handle.headers()) {
        const key = name.replace(/(^|-)([a-z])/g, (m, dash, ch) => dash + ch.toUpperCase());
        this.headers[key] = key in this.headers ? `${this.headers[key]}, ${value}` : value;
      }
      this.body = decode(handle.body());
      this.timings.duration = handle.elapsedUs() / 1000;
    }
  }

  /** The body parsed as JSON; with a selector, the value at that dotted path. */
  json(selector) {
    let value = JSON.parse(this.body);
    if (selector) for (const key of String(selector).split(".")) value = value == null ? undefined : value[key];
    return value;
  }
}

function settle(request, outcome) {
  if (outcome.tag === "err") return new Response(request.url, null, errorText(outcome.val));
  const handle = outcome.val;
  const response = new Response(request.url, handle);
  handle[Symbol.dispose]();
  return response;
}

function errorText(error) {
  return error.val === undefined ? error.tag : `${error.tag}: ${error.val}`;
}

/** Sends one request; a request that got no response has status 0 and `error` set. */
export function request(method, url, body, params) {
  const req = toRequest(method, url, body, params);
  let handle;
  try {
    handle = wire.send(req);
  } catch (error) {
    return new Response(req.url, null, errorText(error));
  }
  return settle(req, { tag: "ok", val: handle });
}

export const get = (url, params) => request("GET", url, null, params);
export const head = (url, params) => request("HEAD", url, null, params);
export const post = (url, body, params) => request("POST", url, body, params);
export const put = (url, body, params) => request("PUT", url, body, params);
export const patch = (url, body, params) => request("PATCH", url, body, params);
export const del = (url, body, params) => request("DELETE", url, body, params);
export const options = (url, body, params) => request("OPTIONS", url, body, params);

/** Sends several requests at once on this user's connections; responses in the same order. */
export function batch(requests) {
  const list = Array.isArray(requests) ? requests : Object.values(requests);
  const reqs = list.map((item) => {
    if (typeof item === "string") return toRequest("GET", item, null, null);
    if (Array.isArray(item)) return toRequest(item[0], item[1], item[2], item[3]);
    return toRequest(item.method || "GET", item.url, item.body, item.params);
  });
  const outcomes = wire.sendBatch(reqs);
  const responses = reqs.map((req, index) => settle(req, outcomes[index]));
  if (Array.isArray(requests)) return responses;
  const keyed = {};
  Object.keys(requests).forEach((key, index) => (keyed[key] = responses[index]));
  return keyed;
}

export default { request, get, head, post, put, patch, del, options, batch };
