package dev.cbspec.driver;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The cbspec driver protocol, version 1 (drivers/PROTOCOL.md): the hello line, one JSON request per
 * stdin line, exactly one result line per request on stdout, logs on stderr only, exit status 0 when
 * stdin closes.
 *
 * <p>This class knows nothing about the SDK. {@link OssJavaDriver} supplies a {@link Performer} that
 * performs one upload and returns a result built with the helpers below.
 */
final class Protocol {

    static final int PROTOCOL_VERSION = 1;

    /** Request values this protocol version defines; anything else is answered `unsupported`. */
    static final Set<String> KNOWN_OPERATIONS = Set.of("put", "multipart", "post", "presign-v1", "presign-v4");
    static final Set<String> KNOWN_CARRIERS = Set.of("header", "query", "form", "header-and-query");
    static final Set<String> KNOWN_AUTHS = Set.of("v1", "v4");

    /** Extra time beyond timeout_ms before the adapter gives up on a hung SDK call itself (below the
     *  runner's 5 s grace, so the runner gets a reason instead of killing the adapter). */
    static final long WATCHDOG_GRACE_MS = 4000;

    static final JsonMapper JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Performs one upload request and returns its result (without `type` and `id`). */
    interface Performer {
        ObjectNode perform(JsonNode request) throws Exception;
    }

    /** Thrown while translating a request the SDK cannot express; becomes an `unsupported` result. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String reason) {
            super(reason);
        }
    }

    private Protocol() {
    }

    // ----------------------------------------------------------------------------------------------
    // Results
    // ----------------------------------------------------------------------------------------------

    /** An `answer` result: the SDK got an HTTP answer. {@code status} may be null (not exposed). */
    static ObjectNode answer(Integer status, boolean raised, Map<String, String> headers, String body,
                             ObjectNode error) {
        ObjectNode result = NODES.objectNode();
        result.put("outcome", "answer");
        if (status == null) {
            result.putNull("status");
        } else {
            result.put("status", status.intValue());
        }
        result.put("raised", raised);
        result.set("headers", lowerCaseHeaders(headers));
        result.put("body", body);
        if (error == null) {
            result.putNull("error");
        } else {
            result.set("error", error);
        }
        return result;
    }

    /** The `error` object: only what the SDK exposed, null for the rest. */
    static ObjectNode errorFields(String code, String message, String ec, String requestId,
                                  String argumentName, String argumentValue) {
        ObjectNode error = NODES.objectNode();
        error.put("code", code);
        error.put("message", message);
        error.put("ec", ec);
        error.put("request_id", requestId);
        error.put("argument_name", argumentName);
        error.put("argument_value", argumentValue);
        return error;
    }

    /** A `failed` result: no HTTP answer reached the SDK. */
    static ObjectNode failed(String errorText) {
        ObjectNode result = NODES.objectNode();
        result.put("outcome", "failed");
        result.put("error_text", errorText);
        return result;
    }

    /** `Type: message` of a throwable, the form reports show. */
    static String describe(Throwable error) {
        return error.getClass().getSimpleName() + ": " + error.getMessage();
    }

    static ObjectNode unsupported(String reason) {
        ObjectNode result = NODES.objectNode();
        result.put("outcome", "unsupported");
        result.put("reason", reason);
        return result;
    }

    static ObjectNode lowerCaseHeaders(Map<String, String> headers) {
        ObjectNode out = NODES.objectNode();
        if (headers != null) {
            for (Map.Entry<String, String> entry : headers.entrySet()) {
                if (entry.getKey() != null && entry.getValue() != null) {
                    out.put(entry.getKey().toLowerCase(Locale.ROOT), entry.getValue());
                }
            }
        }
        return out;
    }

    // ----------------------------------------------------------------------------------------------
    // Request helpers
    // ----------------------------------------------------------------------------------------------

    /** A text field, or null when it is absent or JSON null. */
    static String text(JsonNode request, String name) {
        JsonNode value = request.get(name);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** The carrier, defaulted per operation when the runner sent null (as the native driver does). */
    static String carrierOf(JsonNode request) {
        String carrier = text(request, "carrier");
        if (carrier != null) {
            return carrier;
        }
        String operation = text(request, "operation");
        if ("post".equals(operation)) {
            return "form";
        }
        if (operation != null && operation.startsWith("presign-")) {
            return "query";
        }
        return "header";
    }

    /** The request's timeout_ms (10 s when none was sent). */
    static int timeoutMs(JsonNode request) {
        JsonNode value = request.get("timeout_ms");
        long ms = value != null && value.canConvertToLong() ? value.asLong() : 10_000L;
        return (int) Math.max(1L, Math.min(ms, Integer.MAX_VALUE));
    }

    private static ObjectNode checkKnownValues(JsonNode request) {
        String operation = text(request, "operation");
        if (!KNOWN_OPERATIONS.contains(operation)) {
            return unsupported("unknown operation " + JSON.valueToTree(operation));
        }
        String carrier = carrierOf(request);
        if (!KNOWN_CARRIERS.contains(carrier)) {
            return unsupported("unknown carrier " + JSON.valueToTree(carrier));
        }
        String auth = text(request, "auth");
        if (!KNOWN_AUTHS.contains(auth)) {
            return unsupported("unknown auth " + JSON.valueToTree(auth));
        }
        return null;
    }

    // ----------------------------------------------------------------------------------------------
    // The loop
    // ----------------------------------------------------------------------------------------------

    static void log(String message) {
        System.err.println("[java driver] " + message);
    }

    /** Speaks the protocol until stdin closes, then exits with status 0. */
    static void serve(String driver, String sdk, String sdkVersion, Performer performer) throws Exception {
        // stdout belongs to the protocol; anything else that prints there goes to stderr instead.
        PrintStream protocolOut = new PrintStream(new FileOutputStream(FileDescriptor.out), false,
                StandardCharsets.UTF_8);
        System.setOut(System.err);

        ObjectNode hello = NODES.objectNode();
        hello.put("type", "hello");
        hello.put("protocol", PROTOCOL_VERSION);
        hello.put("driver", driver);
        hello.put("sdk", sdk);
        hello.put("sdk_version", sdkVersion);
        hello.put("runtime", "Java " + System.getProperty("java.version"));
        send(protocolOut, hello);

        // A fresh thread per upload: a hung SDK call is abandoned by the watchdog without blocking
        // the next request.
        ExecutorService workers = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "cbspec-upload");
            thread.setDaemon(true);
            return thread;
        });

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode request;
            try {
                request = JSON.readTree(line);
            } catch (Exception e) {
                log("ignoring a line that is not JSON (" + e.getMessage() + ")");
                continue;
            }
            if (request == null || !request.isObject() || !"upload".equals(text(request, "type"))) {
                log("ignoring a message that is not an upload request");
                continue;
            }
            ObjectNode result = handle(request, performer, workers);
            ObjectNode message = NODES.objectNode();
            message.put("type", "result");
            message.set("id", request.get("id") == null ? NODES.nullNode() : request.get("id"));
            message.setAll(result);
            send(protocolOut, message);
        }
        protocolOut.flush();
        System.exit(0);
    }

    private static void send(PrintStream out, ObjectNode message) throws Exception {
        out.print(JSON.writeValueAsString(message));
        out.print('\n');
        out.flush();
    }

    private static ObjectNode handle(JsonNode request, Performer performer, ExecutorService workers) {
        ObjectNode refusal = checkKnownValues(request);
        if (refusal != null) {
            return refusal;
        }
        long budgetMs = timeoutMs(request) + WATCHDOG_GRACE_MS;
        Future<ObjectNode> future = workers.submit(() -> performer.perform(request));
        try {
            ObjectNode result = future.get(budgetMs, TimeUnit.MILLISECONDS);
            if (result == null || !result.has("outcome")) {
                return failed("adapter returned no result");
            }
            return result;
        } catch (TimeoutException e) {
            future.cancel(true);
            return failed("AdapterWatchdog: no answer from the SDK within " + budgetMs + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof Unsupported) {
                return unsupported(cause.getMessage());
            }
            log("upload " + request.get("id") + " raised unexpectedly: " + describe(cause));
            cause.printStackTrace(System.err);
            return failed(describe(cause));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("interrupted");
        }
    }
}
