-- One request shape for every system measured: method, body and headers
-- come from the environment, so the same script drives the emulator,
-- nginx, the two-hop baseline and the capture server.
--   WRK_METHOD  PUT or POST
--   WRK_BODY_BYTES  size of the body (bytes of 'x')
--   WRK_HEADERS  header lines "Name: value", separated by "\n"
wrk.method = os.getenv("WRK_METHOD") or "PUT"
wrk.body = string.rep("x", tonumber(os.getenv("WRK_BODY_BYTES") or "1024"))
for line in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end
