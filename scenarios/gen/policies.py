"""Bucket callback policies (spec CB-POLICY-*): the scenario stores a policy
(PutBucketCallbackPolicy), the upload names it with {"callbackPolicy": name},
and the callback must be the policy's. The runner also reads the policy back
and deletes it, judging both steps against CB-POLICY-API."""

from .common import simple

FILE = "policies.toml"
NEEDS = ["callback-policies"]
REQS = ["CB-POLICY-API", "CB-POLICY-REFERENCE", "CB-CFG-POLICY"]


def by_policy(s, *, policy_vars=True):
    """Moves a scenario's callback (and, with policy_vars, its variables) into
    a stored policy and makes the upload refer to it by name."""
    name = "cbspec-" + s["id"].replace("/", "-")
    policy = {"name": name, "callback": s.pop("callback")}
    if policy_vars and "vars" in s:
        policy["vars"] = s.pop("vars")
    ordered = {}
    for k, v in s.items():
        ordered[k] = v
        if k == "upload":
            ordered["callback"] = {"json": '{"callbackPolicy":"%s"}' % name}
            ordered["callback_policy"] = policy
    return ordered


def files():
    out = [
        by_policy(simple("pol/put/form", "PutObject naming a stored policy gets the policy's callback and variables",
                         REQS, ["policy", "put"], "bucket=${bucket}&object=${object}&v=${x:v}", needs=NEEDS,
                         cvars=[("x:v", "from-policy")])),
        by_policy(simple("pol/multipart/json", "CompleteMultipartUpload naming a stored policy with a JSON body",
                         REQS, ["policy", "multipart"], '{"object":${object},"size":${size},"etag":${etag}}',
                         json_mode=True, op="multipart", needs=NEEDS)),
        by_policy(simple("pol/post/form", "PostObject whose callback field names a stored policy",
                         REQS + ["CB-CARRIER-FORM"], ["policy", "post"], "object=${object}&mime=${mimeType}",
                         op="post", needs=NEEDS)),
        by_policy(simple("pol/presign-v4/query", "A presigned V4 PUT whose callback query parameter names a stored policy",
                         REQS + ["CB-PRESIGN-QUERY"], ["policy", "presign"], "object=${object}&size=${size}",
                         op="presign-v4", needs=NEEDS)),
        # The request's own callback-var replaces the policy's (a choice, CB-POLICY-BUCKET).
        by_policy(simple("pol/put/request-vars", "A request's own callback-var replaces the policy's variables",
                         REQS + ["CB-POLICY-BUCKET"], ["policy", "put", "vars"], "v=${x:v}", needs=NEEDS,
                         cvars=[("x:v", "from-request")]), policy_vars=False),
    ]
    # The policy of the last scenario also carries variables, which the request's must override.
    out[-1]["callback_policy"]["vars"] = {"values": [["x:v", "from-policy"]]}
    return {FILE: out}
