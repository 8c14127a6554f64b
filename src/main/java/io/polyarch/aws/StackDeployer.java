package io.polyarch.aws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.Digest;
import io.polyarch.oci.OciJson;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Capability;
import software.amazon.awssdk.services.cloudformation.model.Change;
import software.amazon.awssdk.services.cloudformation.model.ChangeSetStatus;
import software.amazon.awssdk.services.cloudformation.model.ChangeSetType;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.DescribeChangeSetResponse;
import software.amazon.awssdk.services.cloudformation.model.DescribeStackEventsResponse;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.cloudformation.model.StackEvent;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code polyarch aws deploy | status | destroy}: the pipeline stack through CloudFormation change sets. Deploy puts
 * the polyarch jar in a private per-account bucket under a content-addressed key (so a new polyarch is a stack
 * update), creates a change set, shows it, executes it, streams the stack's events until it settles, and reports
 * the outputs; an unchanged template and jar is "no changes", not an error.
 */
public final class StackDeployer {
    /** The template body limit of CreateChangeSet; larger templates go through S3. */
    static final int TEMPLATE_BODY_LIMIT = 51_200;

    public record Outcome(String stackName, String status, boolean changed, Map<String, String> outputs) {
    }

    private final AwsSetup aws;
    private final Consumer<String> log;
    private final Duration poll;

    public StackDeployer(AwsSetup aws, Consumer<String> log, Duration poll) {
        this.aws = aws;
        this.log = log;
        this.poll = poll;
    }

    public Outcome deploy(String stackName, ObjectNode template, Path jar, boolean dryRun) throws AwsException, InterruptedException {
        String account = aws.account();
        try (S3Client s3 = aws.s3(); CloudFormationClient cfn = aws.client(CloudFormationClient.builder())) {
            JarStore.Location jarAt = JarStore.put(aws, s3, account, jar, log);
            String bucket = jarAt.bucket();
            String key = jarAt.key();

            Optional<Stack> existing = stack(cfn, stackName);
            if (existing.isPresent() && existing.get().stackStatusAsString().equals("ROLLBACK_COMPLETE")) {
                throw new AwsException("stack " + stackName + " is ROLLBACK_COMPLETE (its creation failed) and cannot be updated: "
                        + "run polyarch aws destroy --yes, then deploy again", false, null);
            }
            if (existing.isPresent() && existing.get().stackStatusAsString().endsWith("_IN_PROGRESS")) {
                throw new AwsException("stack " + stackName + " is " + existing.get().stackStatusAsString() + ": wait for it to settle", false, null);
            }
            ChangeSetType type = existing.isPresent() ? ChangeSetType.UPDATE : ChangeSetType.CREATE;
            byte[] body = OciJson.bytes(template);
            String changeSet = "polyarch-" + Instant.now().toEpochMilli();
            String templateUrl = null;
            if (body.length > TEMPLATE_BODY_LIMIT) {
                String tkey = "polyarch/templates/" + Digest.sha256(body).hex().substring(0, 16) + ".json";
                s3.putObject(r -> r.bucket(bucket).key(tkey), RequestBody.fromBytes(body));
                templateUrl = "https://" + bucket + ".s3." + aws.region().id() + ".amazonaws.com/" + tkey;
            }
            String url = templateUrl;
            cfn.createChangeSet(r -> {
                r.stackName(stackName).changeSetName(changeSet).changeSetType(type).capabilities(Capability.CAPABILITY_IAM)
                        .parameters(Parameter.builder().parameterKey("PolyarchJarBucket").parameterValue(bucket).build(),
                                Parameter.builder().parameterKey("PolyarchJarKey").parameterValue(key).build())
                        .description("polyarch aws deploy");
                if (url != null) r.templateURL(url);
                else r.templateBody(new String(body, java.nio.charset.StandardCharsets.UTF_8));
            });
            log.accept((type == ChangeSetType.CREATE ? "creating" : "updating") + " stack " + stackName + " in " + aws.region().id()
                    + " (change set " + changeSet + ")");
            DescribeChangeSetResponse cs = waitForChangeSet(cfn, stackName, changeSet);
            if (cs.status() == ChangeSetStatus.FAILED) {
                String reason = String.valueOf(cs.statusReason());
                cfn.deleteChangeSet(r -> r.stackName(stackName).changeSetName(changeSet));
                if (reason.contains("didn't contain changes") || reason.contains("No updates")) {
                    log.accept("no changes: the stack already matches this config and jar");
                    Stack s = stack(cfn, stackName).orElseThrow();
                    return new Outcome(stackName, s.stackStatusAsString(), false, outputs(s));
                }
                throw new AwsException("the change set failed: " + reason, false, null);
            }
            List<Change> changes = allChanges(cfn, stackName, changeSet, cs);
            for (Change c : changes) {
                var rc = c.resourceChange();
                log.accept(String.format("  %-7s %-28s %-32s%s", rc.actionAsString(), rc.logicalResourceId(), rc.resourceType(),
                        rc.replacementAsString() != null && rc.replacementAsString().equals("True") ? "  (replaced)" : ""));
            }
            if (dryRun) {
                cfn.deleteChangeSet(r -> r.stackName(stackName).changeSetName(changeSet));
                log.accept("dry run: change set deleted, nothing changed");
                return new Outcome(stackName, existing.map(Stack::stackStatusAsString).orElse("(none)"), false, Map.of());
            }
            Instant started = Instant.now().minusSeconds(5);
            cfn.executeChangeSet(r -> r.stackName(stackName).changeSetName(changeSet));
            Stack done = follow(cfn, stackName, started);
            String status = done.stackStatusAsString();
            if (!status.equals("CREATE_COMPLETE") && !status.equals("UPDATE_COMPLETE")) {
                throw new AwsException("stack " + stackName + " ended " + status + "; the events above say why", false, null);
            }
            return new Outcome(stackName, status, true, outputs(done));
        } catch (SdkException e) {
            throw sdkError(e);
        }
    }

    public Outcome status(String stackName) throws AwsException {
        try (CloudFormationClient cfn = aws.client(CloudFormationClient.builder())) {
            Stack s = stack(cfn, stackName).orElseThrow(() -> new AwsException("no stack " + stackName + " in " + aws.region().id()
                    + ": deploy it with polyarch aws deploy", true, null));
            return new Outcome(stackName, s.stackStatusAsString(), false, outputs(s));
        } catch (SdkException e) {
            throw sdkError(e);
        }
    }

    /** Empties the artifact bucket (CloudFormation cannot delete a bucket with objects), deletes the stack, follows it. */
    public void destroy(String stackName) throws AwsException, InterruptedException {
        try (S3Client s3 = aws.s3(); CloudFormationClient cfn = aws.client(CloudFormationClient.builder())) {
            Stack s = stack(cfn, stackName).orElseThrow(() -> new AwsException("no stack " + stackName + " in " + aws.region().id(), true, null));
            String bucket = outputs(s).get("ArtifactBucketName");
            if (bucket != null) {
                int n = 0;
                for (var page : s3.listObjectVersionsPaginator(r -> r.bucket(bucket))) {
                    List<software.amazon.awssdk.services.s3.model.ObjectIdentifier> ids = new ArrayList<>();
                    page.versions().forEach(v -> ids.add(software.amazon.awssdk.services.s3.model.ObjectIdentifier.builder().key(v.key()).versionId(v.versionId()).build()));
                    page.deleteMarkers().forEach(v -> ids.add(software.amazon.awssdk.services.s3.model.ObjectIdentifier.builder().key(v.key()).versionId(v.versionId()).build()));
                    if (!ids.isEmpty()) {
                        s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(ids).quiet(true)));
                        n += ids.size();
                    }
                }
                log.accept("emptied the artifact bucket " + bucket + " (" + n + " objects)");
            }
            Instant started = Instant.now().minusSeconds(5);
            cfn.deleteStack(r -> r.stackName(stackName));
            log.accept("deleting stack " + stackName);
            Stack done = follow(cfn, s.stackId(), started);
            if (!done.stackStatusAsString().equals("DELETE_COMPLETE")) {
                throw new AwsException("stack " + stackName + " ended " + done.stackStatusAsString(), false, null);
            }
            log.accept("deleted; the ECR repository and its images are kept (DeletionPolicy: Retain)");
        } catch (SdkException e) {
            throw sdkError(e);
        }
    }

    private static Optional<Stack> stack(CloudFormationClient cfn, String name) {
        try {
            List<Stack> s = cfn.describeStacks(r -> r.stackName(name)).stacks();
            return s.isEmpty() ? Optional.empty() : Optional.of(s.get(0));
        } catch (CloudFormationException e) {
            if (String.valueOf(e.getMessage()).contains("does not exist")) return Optional.empty();
            throw e;
        }
    }

    private DescribeChangeSetResponse waitForChangeSet(CloudFormationClient cfn, String stack, String changeSet) throws InterruptedException {
        while (true) {
            DescribeChangeSetResponse r = cfn.describeChangeSet(q -> q.stackName(stack).changeSetName(changeSet));
            if (r.status() == ChangeSetStatus.CREATE_COMPLETE || r.status() == ChangeSetStatus.FAILED) return r;
            Thread.sleep(poll.toMillis());
        }
    }

    /** DescribeChangeSet pages its changes; every page is read. */
    private static List<Change> allChanges(CloudFormationClient cfn, String stack, String changeSet, DescribeChangeSetResponse first) {
        List<Change> all = new ArrayList<>(first.changes());
        String next = first.nextToken();
        while (next != null) {
            String token = next;
            DescribeChangeSetResponse r = cfn.describeChangeSet(q -> q.stackName(stack).changeSetName(changeSet).nextToken(token));
            all.addAll(r.changes());
            next = r.nextToken();
        }
        return all;
    }

    /** Prints the stack's new events (every page, oldest first) until it is no longer in progress. */
    private Stack follow(CloudFormationClient cfn, String stack, Instant since) throws InterruptedException {
        Set<String> seen = new HashSet<>();
        while (true) {
            List<StackEvent> fresh = new ArrayList<>();
            String token = null;
            pages:
            do {
                String t = token;
                DescribeStackEventsResponse page = cfn.describeStackEvents(r -> r.stackName(stack).nextToken(t));
                for (StackEvent e : page.stackEvents()) {
                    if (e.timestamp() != null && e.timestamp().isBefore(since)) break pages;
                    if (seen.add(e.eventId())) fresh.add(e);
                }
                token = page.nextToken();
            } while (token != null);
            for (int i = fresh.size() - 1; i >= 0; i--) {
                StackEvent e = fresh.get(i);
                log.accept(String.format("  %-20s %-28s %s%s", e.resourceStatusAsString(), e.logicalResourceId(), e.resourceType(),
                        e.resourceStatusReason() != null ? "  " + e.resourceStatusReason() : ""));
            }
            Optional<Stack> s = stack(cfn, stack);
            if (s.isEmpty()) return Stack.builder().stackName(stack).stackStatus("DELETE_COMPLETE").build();
            if (!s.get().stackStatusAsString().endsWith("_IN_PROGRESS")) return s.get();
            Thread.sleep(poll.toMillis());
        }
    }

    private static Map<String, String> outputs(Stack s) {
        Map<String, String> out = new LinkedHashMap<>();
        if (s.outputs() != null) s.outputs().forEach(o -> out.put(o.outputKey(), o.outputValue()));
        return out;
    }

    private AwsException sdkError(SdkException e) {
        if (e instanceof SdkClientException && String.valueOf(e.getMessage()).contains("credentials")) {
            return new AwsException("no usable AWS credentials (" + AwsSetup.firstLine(e) + ")", true, e);
        }
        return new AwsException("AWS (" + aws.region().id() + "): " + AwsSetup.firstLine(e), false, e);
    }
}
