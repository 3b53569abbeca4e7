// bearer-api.mjs — one JSON API call with a bearer token, for the Node
// scripts that drive a running Pacte (convergence.mjs, bench/collab).
// Resolves to {status, body}; body is null when the answer is not JSON.
export async function bearerAPI(base, token, method, path, body) {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body) headers["Content-Type"] = "application/json";
  const res = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  return { status: res.status, body: data };
}
