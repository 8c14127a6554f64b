package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.testing.Cli;
import io.polyarch.testing.FakeAws;
import io.polyarch.testing.ScriptedServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code polyarch aws deploy | status | destroy} against a recorded-request fake of STS, S3 and CloudFormation:
 * the exact calls (jar upload once, change set with the synthesized template and parameters, every page of the
 * change set and of the stack events, a throttled call retried), what the user sees, and the clear errors.
 */
class AwsDeployIT {
    static final String NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

    @BeforeAll
    static void noInstanceMetadata() {
        System.setProperty("aws.disableEc2Metadata", "true");
    }

    /** The fake cloud: one stack's life, scripted. */
    static final class Cloud {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<Map<String, String>> forms = new CopyOnWriteArrayList<>();
        final Map<String, byte[]> objects = new HashMap<>();
        boolean bucket;
        String stackStatus; // null: no stack
        int describeChangeSet;
        int stackPolls;
        boolean throttledEvents;
        boolean noChanges;
        final ScriptedServer server;

        Cloud() throws Exception {
            server = ScriptedServer.withBodies(this::handle);
        }

        Map<String, String> env() {
            return Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", FakeAws.SECRET_KEY, "AWS_REGION", "us-east-1",
                    "AWS_ENDPOINT_URL", "http://127.0.0.1:" + server.port(), "POLYARCH_AWS_POLL_MS", "10");
        }

        /** The payload of an upload, undoing SigV4's aws-chunked framing ("size;chunk-signature=...\r\ndata\r\n") when used. */
        static byte[] decodeChunks(ScriptedServer.Req r) {
            String sha = r.header("x-amz-content-sha256");
            if (sha == null || !sha.startsWith("STREAMING-")) return r.body();
            byte[] b = r.body();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int i = 0;
            while (i < b.length) {
                int eol = i;
                while (b[eol] != '\r') eol++;
                String head = new String(b, i, eol - i, StandardCharsets.US_ASCII);
                int size = Integer.parseInt(head.substring(0, head.indexOf(';') > 0 ? head.indexOf(';') : head.length()), 16);
                if (size == 0) break;
                out.write(b, eol + 2, size);
                i = eol + 2 + size + 2;
            }
            return out.toByteArray();
        }

        static Map<String, String> form(byte[] body) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String kv : new String(body, StandardCharsets.UTF_8).split("&")) {
                if (kv.isEmpty()) continue;
                int eq = kv.indexOf('=');
                m.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
            return m;
        }

        static ScriptedServer.Reply xml(int status, String body) {
            return ScriptedServer.Reply.of(status, body, "Content-Type", "text/xml");
        }

        static String ok(String action, String result) {
            return "<" + action + "Response xmlns=\"" + NS + "\"><" + action + "Result>" + result + "</" + action + "Result>"
                    + "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" + action + "Response>";
        }

        static String error(String code, String message) {
            return "<ErrorResponse xmlns=\"" + NS + "\"><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message
                    + "</Message></Error><RequestId>r</RequestId></ErrorResponse>";
        }

        String stack() {
            return "<Stacks><member><StackName>app-pipeline</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/app-pipeline/1</StackId>"
                    + "<CreationTime>2026-11-22T00:00:00Z</CreationTime><StackStatus>" + stackStatus + "</StackStatus>"
                    + (stackStatus.endsWith("COMPLETE") ? "<Outputs><member><OutputKey>PipelineName</OutputKey><OutputValue>app-pipeline</OutputValue></member>"
                    + "<member><OutputKey>ArtifactBucketName</OutputKey><OutputValue>app-artifacts</OutputValue></member></Outputs>" : "")
                    + "</member></Stacks>";
        }

        static String event(String id, String status, String logical, String type) {
            return "<member><StackId>s</StackId><EventId>" + id + "</EventId><StackName>app-pipeline</StackName><LogicalResourceId>" + logical
                    + "</LogicalResourceId><ResourceType>" + type + "</ResourceType><Timestamp>" + Instant.now() + "</Timestamp><ResourceStatus>"
                    + status + "</ResourceStatus></member>";
        }

        ScriptedServer.Action handle(ScriptedServer.Req r) {
            String path = r.path();
            if (r.header("X-Amz-Target") == null && !path.equals("/")) { // S3, path style
                calls.add("s3 " + r.method() + " " + path);
                String key = path.substring(1);
                return switch (r.method()) {
                    case "HEAD" -> key.contains("/") ? (objects.containsKey(key) ? ScriptedServer.Reply.of(200, "") : ScriptedServer.Reply.of(404, ""))
                            : (bucket ? ScriptedServer.Reply.of(200, "") : ScriptedServer.Reply.of(404, ""));
                    case "PUT" -> {
                        if (!key.contains("/")) bucket = true;
                        else objects.put(key, decodeChunks(r));
                        yield ScriptedServer.Reply.of(200, "", "ETag", "\"e\"");
                    }
                    case "GET" -> ScriptedServer.Reply.of(200, "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>app-artifacts</Name>"
                            + "<IsTruncated>false</IsTruncated><Version><Key>Source/a.zip</Key><VersionId>null</VersionId><IsLatest>true</IsLatest></Version>"
                            + "</ListVersionsResult>", "Content-Type", "application/xml");
                    case "POST" -> ScriptedServer.Reply.of(200, "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>", "Content-Type", "application/xml");
                    default -> ScriptedServer.Reply.of(400, "");
                };
            }
            Map<String, String> f = form(r.body());
            String action = f.get("Action");
            calls.add(action + (f.containsKey("NextToken") ? " " + f.get("NextToken") : ""));
            forms.add(f);
            return switch (action) {
                case "GetCallerIdentity" -> xml(200, "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
                        + "<Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>U</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>");
                case "DescribeStacks" -> {
                    if (stackStatus == null) yield xml(400, error("ValidationError", "Stack with id app-pipeline does not exist"));
                    if (stackStatus.endsWith("IN_PROGRESS") && ++stackPolls >= 2) {
                        stackStatus = stackStatus.startsWith("DELETE") ? null : stackStatus.replace("IN_PROGRESS", "COMPLETE");
                        if (stackStatus == null) yield xml(400, error("ValidationError", "Stack with id app-pipeline does not exist"));
                    }
                    yield xml(200, ok("DescribeStacks", stack()));
                }
                case "CreateChangeSet" -> xml(200, ok("CreateChangeSet", "<Id>arn:cs</Id><StackId>arn:stack</StackId>"));
                case "DescribeChangeSet" -> {
                    describeChangeSet++;
                    if (noChanges) {
                        yield xml(200, ok("DescribeChangeSet", "<Status>FAILED</Status><StatusReason>The submitted information didn't contain changes. "
                                + "Submit different information to create a change set.</StatusReason>"));
                    }
                    if (describeChangeSet == 1) yield xml(200, ok("DescribeChangeSet", "<Status>CREATE_IN_PROGRESS</Status>"));
                    String change = "<member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>%s</LogicalResourceId>"
                            + "<ResourceType>%s</ResourceType></ResourceChange></member>";
                    if (!f.containsKey("NextToken")) {
                        yield xml(200, ok("DescribeChangeSet", "<Status>CREATE_COMPLETE</Status><Changes>" + change.formatted("Pipeline", "AWS::CodePipeline::Pipeline")
                                + "</Changes><NextToken>page2</NextToken>"));
                    }
                    yield xml(200, ok("DescribeChangeSet", "<Status>CREATE_COMPLETE</Status><Changes>" + change.formatted("BuildArm64", "AWS::CodeBuild::Project") + "</Changes>"));
                }
                case "DeleteChangeSet" -> xml(200, ok("DeleteChangeSet", ""));
                case "ExecuteChangeSet" -> {
                    stackStatus = "CREATE_IN_PROGRESS";
                    stackPolls = 0;
                    yield xml(200, ok("ExecuteChangeSet", ""));
                }
                case "DeleteStack" -> {
                    stackStatus = "DELETE_IN_PROGRESS";
                    stackPolls = 0;
                    yield xml(200, ok("DeleteStack", ""));
                }
                case "DescribeStackEvents" -> {
                    if (!throttledEvents) {
                        throttledEvents = true;
                        yield xml(400, error("Throttling", "Rate exceeded"));
                    }
                    if (!f.containsKey("NextToken")) {
                        yield xml(200, ok("DescribeStackEvents", "<StackEvents>" + event("e3", "CREATE_COMPLETE", "Pipeline", "AWS::CodePipeline::Pipeline")
                                + event("e2", "CREATE_IN_PROGRESS", "Pipeline", "AWS::CodePipeline::Pipeline") + "</StackEvents><NextToken>events2</NextToken>"));
                    }
                    yield xml(200, ok("DescribeStackEvents", "<StackEvents>" + event("e1", "CREATE_IN_PROGRESS", "app-pipeline", "AWS::CloudFormation::Stack") + "</StackEvents>"));
                }
                default -> xml(400, error("InvalidAction", "unexpected " + action));
            };
        }
    }

    static Path repo(Path dir) throws Exception {
        Files.writeString(dir.resolve("values.yaml"), AwsTemplateIT.MAKEOPS.replace("my-app-pipeline", "app-pipeline"));
        return dir;
    }

    @Test
    void deployCreatesTheStackThroughAChangeSetThenNothingChangesThenDestroy(@TempDir Path dir) throws Exception {
        Cloud cloud = new Cloud();
        try (var ignored = cloud.server) {
            repo(dir);
            Path jar = Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath();
            Map<String, String> env = new HashMap<>(cloud.env());
            env.put("PWD", dir.toString());
            Cli.Result r = Cli.run(env, "aws", "deploy", "--jar", jar.toString());
            assertEquals(0, r.code(), r.toString());
            List<String> expected = List.of("GetCallerIdentity",
                    "s3 HEAD /polyarch-123456789012-us-east-1", "s3 PUT /polyarch-123456789012-us-east-1",
                    "s3 PUT /polyarch-123456789012-us-east-1?publicAccessBlock");
            assertEquals(expected, cloud.calls.subList(0, 4));
            String jarKey = cloud.objects.keySet().stream().filter(k -> k.endsWith("/polyarch.jar")).findFirst().orElseThrow();
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(jar), cloud.objects.get(jarKey)), "the jar is uploaded whole");
            List<String> cfn = cloud.calls.stream().filter(c -> !c.startsWith("s3 ") && !c.equals("GetCallerIdentity")).toList();
            assertEquals(List.of("DescribeStacks", "CreateChangeSet", "DescribeChangeSet", "DescribeChangeSet", "DescribeChangeSet page2", "ExecuteChangeSet",
                    "DescribeStackEvents", "DescribeStackEvents", "DescribeStackEvents events2"), cfn.subList(0, 9), cloud.calls.toString());
            Map<String, String> create = cloud.forms.stream().filter(f -> "CreateChangeSet".equals(f.get("Action"))).findFirst().orElseThrow();
            assertEquals("CREATE", create.get("ChangeSetType"));
            assertEquals("app-pipeline", create.get("StackName"));
            assertEquals("CAPABILITY_IAM", create.get("Capabilities.member.1"));
            assertEquals("PolyarchJarKey", create.get("Parameters.member.2.ParameterKey"));
            assertEquals(jarKey.substring(jarKey.indexOf('/') + 1), create.get("Parameters.member.2.ParameterValue"));
            JsonNode sent = OciJson.readTree(create.get("TemplateBody").getBytes(StandardCharsets.UTF_8), "template");
            Cli.Result synth = Cli.run(Map.of("PWD", dir.toString()), "aws", "synth");
            assertEquals(OciJson.readTree(synth.out().getBytes(), "synth"), sent, "the change set carries exactly what aws synth writes");
            // what the user sees: the changes (both pages), the events oldest first, the outputs
            assertTrue(r.err().contains("Add     Pipeline") && r.err().contains("Add     BuildArm64"), r.err());
            int e1 = r.err().indexOf("AWS::CloudFormation::Stack");
            int e3 = r.err().indexOf("CREATE_COMPLETE      Pipeline");
            assertTrue(e1 > 0 && e3 > e1, "events oldest first:\n" + r.err());
            assertTrue(r.out().contains("app-pipeline CREATE_COMPLETE") && r.out().contains("PipelineName = app-pipeline"), r.out());
            assertFalse(r.out().contains(FakeAws.SECRET_KEY) || r.err().contains(FakeAws.SECRET_KEY));

            // deploy again, nothing changed: the jar is not uploaded again, the empty change set is deleted, exit 0
            cloud.calls.clear();
            cloud.noChanges = true;
            Cli.Result again = Cli.run(env, "aws", "deploy", "--jar", jar.toString());
            assertEquals(0, again.code(), again.toString());
            assertTrue(again.out().contains("(unchanged)"), again.out());
            assertTrue(cloud.calls.contains("DeleteChangeSet") && !cloud.calls.contains("ExecuteChangeSet"), cloud.calls.toString());
            assertTrue(cloud.calls.stream().noneMatch(c -> c.startsWith("s3 PUT")), "no upload: " + cloud.calls);

            Cli.Result status = Cli.run(env, "aws", "status");
            assertEquals(0, status.code(), status.toString());
            assertTrue(status.out().contains("app-pipeline CREATE_COMPLETE"), status.out());

            assertEquals(2, Cli.run(env, "aws", "destroy").code(), "destroy needs --yes");
            cloud.calls.clear();
            cloud.throttledEvents = true;
            Cli.Result destroy = Cli.run(env, "aws", "destroy", "--yes");
            assertEquals(0, destroy.code(), destroy.toString());
            assertTrue(cloud.calls.indexOf("s3 POST /app-artifacts?delete") < cloud.calls.indexOf("DeleteStack"), "bucket emptied first: " + cloud.calls);
            assertTrue(destroy.err().contains("ECR repository and its images are kept"), destroy.err());
        }
    }

    @Test
    void regionMismatchesAndMissingStacksAreNamed(@TempDir Path dir) throws Exception {
        Cloud cloud = new Cloud();
        try (var ignored = cloud.server) {
            repo(dir);
            Map<String, String> env = new HashMap<>(cloud.env());
            env.put("PWD", dir.toString());
            env.put("AWS_REGION", "eu-west-1");
            Cli.Result r = Cli.run(env, "aws", "deploy");
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("connectionArn is in us-east-1 but the pipeline would be in eu-west-1"), r.err());
            assertTrue(cloud.calls.isEmpty(), "nothing was called");
            Files.writeString(dir.resolve("values.yaml"), Files.readString(dir.resolve("values.yaml")).replace("exists: false", "exists: false\n    region: us-east-1"));
            Cli.Result mixed = Cli.run(env, "aws", "status");
            assertEquals(2, mixed.code());
            assertTrue(mixed.err().contains("destination.ecr.region is us-east-1 but AWS_REGION is eu-west-1"), mixed.err());
            env.put("AWS_REGION", "us-east-1");
            Cli.Result none = Cli.run(env, "aws", "status");
            assertEquals(2, none.code(), none.toString());
            assertTrue(none.err().contains("no stack app-pipeline in us-east-1"), none.err());
        }
    }
}
