package dev.cbspec.driver;

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.ClientException;
import com.aliyun.oss.HttpMethod;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.common.auth.DefaultCredentialProvider;
import com.aliyun.oss.common.comm.ResponseMessage;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.common.utils.VersionInfoUtils;
import com.aliyun.oss.model.Callback;
import com.aliyun.oss.model.CompleteMultipartUploadRequest;
import com.aliyun.oss.model.CompleteMultipartUploadResult;
import com.aliyun.oss.model.GeneratePresignedUrlRequest;
import com.aliyun.oss.model.InitiateMultipartUploadRequest;
import com.aliyun.oss.model.InitiateMultipartUploadResult;
import com.aliyun.oss.model.ObjectMetadata;
import com.aliyun.oss.model.PartETag;
import com.aliyun.oss.model.PutObjectRequest;
import com.aliyun.oss.model.PutObjectResult;
import com.aliyun.oss.model.UploadPartRequest;
import com.aliyun.oss.model.UploadPartResult;
import com.aliyun.oss.model.WebServiceRequest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.cbspec.driver.Protocol.Unsupported;
import static dev.cbspec.driver.Protocol.text;

/**
 * cbspec driver adapter for the Alibaba Cloud OSS Java SDK, com.aliyun.oss:aliyun-sdk-oss (pinned in
 * drivers/java/pom.xml). Protocol: drivers/PROTOCOL.md, spoken by {@link Protocol}.
 *
 * <p>The SDK takes the callback as fields ({@link Callback}: callbackUrl, callbackHost, callbackBody,
 * the URL/JSON body type, callbackSNI, addCallbackVar) on PutObjectRequest and
 * CompleteMultipartUploadRequest, and builds the x-oss-callback / x-oss-callback-var JSON and Base64
 * itself. So the adapter builds a Callback from the request's `callback` and `vars`, and what the SDK
 * then sends is what cbspec judges. Only where the SDK has no callback API (a presigned URL, raw
 * values that fields cannot express) does the adapter pass `callback_base64` / `vars_base64` through
 * the SDK's generic per-request headers or query parameters, as a caller of the SDK would have to.
 *
 * <p>The answer is reported as the SDK surfaced it: the callback reply after a 200 is
 * PutObjectResult/CompleteMultipartUploadResult.getCallbackResponseBody(), the status is
 * getResponse().getStatusCode() (only a callback upload's result has a response), and a 203 comes
 * back as an OSSException (the SDK's OSSCallbackErrorResponseHandler), whose status the SDK does not
 * expose.
 */
public final class OssJavaDriver {

    static final String DRIVER = "java";
    static final String SDK = "aliyun-sdk-oss";
    /** Lifetime of presigned URLs; only needs to outlive one upload. */
    static final long PRESIGN_EXPIRES_MS = 3600_000L;

    private OssJavaDriver() {
    }

    public static void main(String[] args) throws Exception {
        Protocol.serve(DRIVER, SDK, loadedSdkVersion(), OssJavaDriver::perform);
    }

    /** The version of the SDK actually loaded, as the SDK reports it (from its versioninfo.properties). */
    static String loadedSdkVersion() {
        String version = VersionInfoUtils.getVersion();
        if (version == null || version.isEmpty() || "unknown-version".equals(version)) {
            Package pkg = OSSClientBuilder.class.getPackage();
            version = pkg == null ? null : pkg.getImplementationVersion();
        }
        return version == null ? "unknown" : version;
    }

    // ----------------------------------------------------------------------------------------------
    // (1) Request → SDK objects
    // ----------------------------------------------------------------------------------------------

    /** An OSS client configured the way SDK users do: OSSClientBuilder with a ClientBuilderConfiguration.
     *  For an IP endpoint (the emulator) the SDK switches to path-style addressing by itself (OSSClient
     *  setEndpoint: isIpOrLocalhost → setSLDEnabled(true)). */
    static OSS client(JsonNode request, boolean v4) {
        ClientBuilderConfiguration config = new ClientBuilderConfiguration();
        int timeout = Protocol.timeoutMs(request);
        config.setConnectionTimeout(timeout);
        config.setSocketTimeout(timeout);
        // One attempt per request: the SDK's default retries (3, on timeouts and 500/502/503) would
        // repeat uploads the scenario counts and overrun the per-upload budget.
        config.setMaxErrorRetry(0);
        config.setSignatureVersion(v4 ? SignVersion.V4 : SignVersion.V1);

        // The request's `sts` credentials are ignored: Java SDK users sign with their access key.
        DefaultCredentialProvider credentials = new DefaultCredentialProvider(
                text(request, "access_key_id"), text(request, "access_key_secret"));
        return OSSClientBuilder.create()
                .endpoint(text(request, "endpoint"))
                .credentialsProvider(credentials)
                .clientConfiguration(config)
                .region(text(request, "region"))
                .build();
    }

    /** The request's extra headers as name → text (a non-string JSON value is sent as its JSON text). */
    static Map<String, String> extraHeaders(JsonNode request) {
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode node = request.get("headers");
        if (node != null && node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                JsonNode value = field.getValue();
                headers.put(field.getKey(), value.isTextual() ? value.asText() : value.toString());
            }
        }
        return headers;
    }

    /** ObjectMetadata for an upload: Content-Type when the scenario sets one (otherwise the SDK
     *  chooses), and the extra headers through ObjectMetadata.setHeader. */
    static ObjectMetadata objectMetadata(JsonNode request, Long contentLength) {
        ObjectMetadata metadata = new ObjectMetadata();
        if (contentLength != null) {
            metadata.setContentLength(contentLength);
        }
        String contentType = text(request, "content_type");
        if (contentType != null) {
            metadata.setContentType(contentType);
        }
        for (Map.Entry<String, String> header : extraHeaders(request).entrySet()) {
            metadata.setHeader(header.getKey(), header.getValue());
        }
        return metadata;
    }

    /**
     * The SDK's Callback built from the request's `callback` and `vars`, or null when the request has
     * no callback fields. Absent (null) fields are left unset; an explicit sni=false is set as asked.
     */
    static Callback callbackOf(JsonNode request) throws Unsupported {
        JsonNode cb = request.get("callback");
        if (cb == null || cb.isNull()) {
            return null;
        }
        JsonNode extra = cb.get("extra");
        if (extra != null && extra.isObject() && extra.size() > 0) {
            List<String> names = new ArrayList<>();
            extra.fieldNames().forEachRemaining(names::add);
            throw new Unsupported("the Java SDK's Callback has no way to add other JSON members ("
                    + String.join(", ", names) + ")");
        }
        Callback callback = new Callback();
        String url = text(cb, "url");
        if (url != null) {
            callback.setCallbackUrl(url);
        }
        String host = text(cb, "host");
        if (host != null) {
            callback.setCallbackHost(host);
        }
        String body = text(cb, "body");
        if (body != null) {
            callback.setCallbackBody(body);
        }
        String bodyType = text(cb, "body_type");
        if (bodyType != null) {
            if ("application/json".equals(bodyType)) {
                callback.setCalbackBodyType(Callback.CalbackBodyType.JSON);
            } else if ("application/x-www-form-urlencoded".equals(bodyType)) {
                callback.setCalbackBodyType(Callback.CalbackBodyType.URL);
            } else {
                throw new Unsupported("the Java SDK's Callback.CalbackBodyType has only URL and JSON, so callbackBodyType "
                        + Protocol.JSON.valueToTree(bodyType) + " is not expressible");
            }
        }
        JsonNode sni = cb.get("sni");
        if (sni != null && !sni.isNull()) {
            callback.setCallbackSNI(sni.asBoolean());
        }
        JsonNode vars = request.get("vars");
        if (vars != null && vars.isObject()) {
            // The Java SDK takes the names with their x: prefix (addCallbackVar("x:var1", ...)).
            Iterator<Map.Entry<String, JsonNode>> fields = vars.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!field.getValue().isTextual()) {
                    throw new Unsupported("Callback.addCallbackVar takes String values only");
                }
                callback.addCallbackVar(field.getKey(), field.getValue().asText());
            }
        }
        return callback;
    }

    /**
     * The encoded values to pass through the SDK's generic request headers: x-oss-callback when the
     * callback is not expressible as fields, x-oss-callback-var when the variables are not (and the
     * Callback therefore carries none).
     */
    static Map<String, String> rawCallbackHeaders(JsonNode request, Callback callback) {
        Map<String, String> headers = new LinkedHashMap<>();
        String callbackBase64 = text(request, "callback_base64");
        String varsBase64 = text(request, "vars_base64");
        JsonNode vars = request.get("vars");
        boolean varsAsFields = vars != null && vars.isObject();
        if (callback == null && callbackBase64 != null) {
            headers.put("x-oss-callback", callbackBase64);
        }
        if ((callback == null || !varsAsFields) && varsBase64 != null) {
            headers.put("x-oss-callback-var", varsBase64);
        }
        return headers;
    }

    /** Both encoded values as request headers (for Initiate/UploadPart, which take no Callback). */
    static Map<String, String> encodedCallbackHeaders(JsonNode request) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (text(request, "callback_base64") != null) {
            headers.put("x-oss-callback", text(request, "callback_base64"));
        }
        if (text(request, "vars_base64") != null) {
            headers.put("x-oss-callback-var", text(request, "vars_base64"));
        }
        return headers;
    }

    static void addHeaders(WebServiceRequest target, Map<String, String> headers) {
        for (Map.Entry<String, String> header : headers.entrySet()) {
            target.addHeader(header.getKey(), header.getValue());
        }
    }

    static void requireCarrier(JsonNode request, String expected, String why) throws Unsupported {
        String carrier = Protocol.carrierOf(request);
        if (!expected.equals(carrier)) {
            throw new Unsupported("carrier " + Protocol.JSON.valueToTree(carrier) + ": " + why);
        }
    }

    static byte[] content(JsonNode request) throws IOException {
        return Files.readAllBytes(Paths.get(text(request, "content_file")));
    }

    // ----------------------------------------------------------------------------------------------
    // (2) SDK calls
    // ----------------------------------------------------------------------------------------------

    static ObjectNode perform(JsonNode request) throws Exception {
        String operation = text(request, "operation");
        switch (operation) {
            case "put":
                return withSdkErrors(() -> put(request));
            case "multipart":
                return withSdkErrors(() -> multipart(request));
            case "presign-v1":
                return withSdkErrors(() -> presign(request, false));
            case "presign-v4":
                return withSdkErrors(() -> presign(request, true));
            case "post":
                throw new Unsupported("the Java SDK (aliyun-sdk-oss) has no PostObject call");
            default:
                throw new Unsupported("unknown operation " + Protocol.JSON.valueToTree(operation));
        }
    }

    /** PutObject: PutObjectRequest with setCallback; the SDK sends the callback as headers only. */
    static ObjectNode put(JsonNode request) throws Exception {
        requireCarrier(request, "header",
                "the Java SDK's Callback (PutObjectRequest.setCallback) is sent only as x-oss-callback / x-oss-callback-var headers");
        Callback callback = callbackOf(request);
        byte[] data = content(request);
        OSS oss = client(request, "v4".equals(text(request, "auth")));
        try {
            PutObjectRequest put = new PutObjectRequest(text(request, "bucket"), text(request, "key"),
                    new ByteArrayInputStream(data), objectMetadata(request, (long) data.length));
            if (callback != null) {
                put.setCallback(callback);
            }
            addHeaders(put, rawCallbackHeaders(request, callback));
            PutObjectResult result = oss.putObject(put);
            return success(result.getResponse(), result.getCallbackResponseBody());
        } finally {
            oss.shutdown();
        }
    }

    /** Initiate, one UploadPart per part_size chunk, Complete with setCallback. */
    static ObjectNode multipart(JsonNode request) throws Exception {
        requireCarrier(request, "header",
                "the Java SDK's Callback (CompleteMultipartUploadRequest.setCallback) is sent only as x-oss-callback / x-oss-callback-var headers");
        Callback callback = callbackOf(request);
        byte[] data = content(request);
        JsonNode partSizeNode = request.get("part_size");
        long partSize = partSizeNode != null && partSizeNode.canConvertToLong() ? partSizeNode.asLong() : 102_400L;
        if (partSize < 1) {
            throw new Unsupported("part_size " + partSize + " is not a positive integer");
        }
        boolean everyRequest = request.path("callback_on_every_request").asBoolean(false);
        String bucket = text(request, "bucket");
        String key = text(request, "key");
        OSS oss = client(request, "v4".equals(text(request, "auth")));
        try {
            // Content-Type and the extra headers describe the object, so they go on Initiate.
            InitiateMultipartUploadRequest init = new InitiateMultipartUploadRequest(bucket, key,
                    objectMetadata(request, null));
            Map<String, String> everywhere = everyRequest ? encodedCallbackHeaders(request) : Map.of();
            // Initiate and UploadPart take no Callback in the SDK; a caller who wants the parameters
            // there too has to set the encoded values as request headers.
            addHeaders(init, everywhere);
            InitiateMultipartUploadResult initiated = oss.initiateMultipartUpload(init);

            List<PartETag> parts = new ArrayList<>();
            int number = 1;
            for (int start = 0; start < data.length; start += (int) partSize, number++) {
                int end = (int) Math.min((long) start + partSize, data.length);
                byte[] chunk = Arrays.copyOfRange(data, start, end);
                UploadPartRequest part = new UploadPartRequest(bucket, key, initiated.getUploadId(), number,
                        new ByteArrayInputStream(chunk), chunk.length);
                addHeaders(part, everywhere);
                UploadPartResult uploaded = oss.uploadPart(part);
                parts.add(uploaded.getPartETag());
            }

            CompleteMultipartUploadRequest complete = new CompleteMultipartUploadRequest(bucket, key,
                    initiated.getUploadId(), parts);
            if (callback != null) {
                complete.setCallback(callback);
            }
            addHeaders(complete, rawCallbackHeaders(request, callback));
            CompleteMultipartUploadResult result = oss.completeMultipartUpload(complete);
            return success(result.getResponse(), result.getCallbackResponseBody());
        } finally {
            oss.shutdown();
        }
    }

    /**
     * A presigned PUT URL from generatePresignedUrl(GeneratePresignedUrlRequest), then a plain PUT
     * with java.net.http. GeneratePresignedUrlRequest has no Callback: the SDK's way to put one in a
     * URL is addQueryParameter("callback" / "callback-var", value) with the encoded values, which the
     * SDK then signs (V1: they are sub-resources; V4: part of the canonical query).
     */
    static ObjectNode presign(JsonNode request, boolean v4) throws Exception {
        requireCarrier(request, "query",
                "the Java SDK puts a callback in a presigned URL only as query parameters (GeneratePresignedUrlRequest.addQueryParameter)");
        byte[] data = content(request);
        String contentType = text(request, "content_type");
        Map<String, String> putHeaders = new LinkedHashMap<>(extraHeaders(request));
        URL url;
        OSS oss = client(request, v4);
        try {
            GeneratePresignedUrlRequest sign = new GeneratePresignedUrlRequest(text(request, "bucket"),
                    text(request, "key"), HttpMethod.PUT);
            sign.setExpiration(new Date(System.currentTimeMillis() + PRESIGN_EXPIRES_MS));
            if (contentType != null) {
                sign.setContentType(contentType);
            }
            // Headers the PUT sends are given to the signer too, as a caller would.
            for (Map.Entry<String, String> header : putHeaders.entrySet()) {
                sign.addHeader(header.getKey(), header.getValue());
            }
            if (text(request, "callback_base64") != null) {
                sign.addQueryParameter("callback", text(request, "callback_base64"));
            }
            if (text(request, "vars_base64") != null) {
                sign.addQueryParameter("callback-var", text(request, "vars_base64"));
            }
            url = oss.generatePresignedUrl(sign);
        } finally {
            oss.shutdown();
        }
        Protocol.log("presigned URL: " + url);
        if (contentType != null) {
            putHeaders.put("Content-Type", contentType);
        }
        return putToPresignedUrl(request, url, putHeaders, data);
    }

    /** The PUT to a presigned URL, by the adapter itself: reported as received, never as raised. */
    static ObjectNode putToPresignedUrl(JsonNode request, URL url, Map<String, String> headers, byte[] data)
            throws Exception {
        Duration timeout = Duration.ofMillis(Protocol.timeoutMs(request));
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .build();
        HttpRequest.Builder put = HttpRequest.newBuilder(URI.create(url.toString()))
                .timeout(timeout)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(data));
        for (Map.Entry<String, String> header : headers.entrySet()) {
            put.header(header.getKey(), header.getValue());
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(put.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return Protocol.failed(Protocol.describe(e));
        }
        Map<String, String> responseHeaders = new LinkedHashMap<>();
        response.headers().map().forEach((name, values) -> responseHeaders.put(name, String.join(", ", values)));
        return Protocol.answer(response.statusCode(), response.statusCode() >= 400, responseHeaders,
                new String(response.body(), StandardCharsets.UTF_8), null);
    }

    // ----------------------------------------------------------------------------------------------
    // (3) SDK outcomes → protocol results
    // ----------------------------------------------------------------------------------------------

    interface SdkCall {
        ObjectNode call() throws Exception;
    }

    /** Runs an SDK call; an OSSException (an HTTP answer) or ClientException (none) becomes a result. */
    static ObjectNode withSdkErrors(SdkCall call) throws Exception {
        try {
            return call.call();
        } catch (OSSException e) {
            return raised(e);
        } catch (ClientException e) {
            return Protocol.failed("ClientException [" + e.getErrorCode() + "]: " + e.getErrorMessage());
        }
    }

    /**
     * The SDK returned a result. Only uploads with a Callback (or a process) get a result that keeps
     * the HTTP response (PutObjectProcessReponseParser / CompleteMultipartUploadProcessResponseParser);
     * without one the SDK hands over no status, headers or body.
     */
    static ObjectNode success(ResponseMessage response, InputStream callbackBody) throws IOException {
        String body = null;
        if (callbackBody != null) {
            try (InputStream in = callbackBody) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        if (response == null) {
            return Protocol.answer(null, false, null, body, null);
        }
        return Protocol.answer(response.getStatusCode(), false, response.getHeaders(), body, null);
    }

    /**
     * The SDK raised an OSSException: an error answer, or a 203 CallbackFailed (thrown by the SDK's
     * OSSCallbackErrorResponseHandler). The exception carries no HTTP status or response headers;
     * getRawResponseError() is the response body the SDK kept, getErrorFields() its error document's
     * leaf elements (ArgumentName, ArgumentValue).
     */
    static ObjectNode raised(OSSException e) {
        Map<String, String> fields = e.getErrorFields();
        String argumentName = fields == null ? null : fields.get("ArgumentName");
        String argumentValue = fields == null ? null : fields.get("ArgumentValue");
        return Protocol.answer(null, true, null, e.getRawResponseError(),
                Protocol.errorFields(e.getErrorCode(), e.getErrorMessage(), e.getEC(), e.getRequestId(),
                        argumentName, argumentValue));
    }
}
