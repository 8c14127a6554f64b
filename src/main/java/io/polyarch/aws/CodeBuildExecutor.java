package io.polyarch.aws;

import io.polyarch.error.PolyarchException;
import io.polyarch.git.GitSource;
import io.polyarch.oci.Platform;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.run.Executor;
import io.polyarch.pipeline.run.LocalExecutor;
import io.polyarch.pipeline.run.RunReport;
import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.PipelineSpec;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.model.GetLogEventsResponse;
import software.amazon.awssdk.services.cloudwatchlogs.model.OutputLogEvent;
import software.amazon.awssdk.services.cloudwatchlogs.model.ResourceNotFoundException;
import software.amazon.awssdk.services.codebuild.CodeBuildClient;
import software.amazon.awssdk.services.codebuild.model.ArtifactsType;
import software.amazon.awssdk.services.codebuild.model.Build;
import software.amazon.awssdk.services.codebuild.model.EnvironmentVariable;
import software.amazon.awssdk.services.codebuild.model.SourceAuthType;
import software.amazon.awssdk.services.codebuild.model.SourceType;
import software.amazon.awssdk.services.codebuild.model.StatusType;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * {@code polyarch run --executor codebuild}: the platform jobs of the plan run on AWS's build fleet, each a build of
 * the deployed stack's CodeBuild project for its platform (native Graviton or x86), started with the commit to build
 * (cloned from GitHub through the pipeline's connection), the same buildspec, and this polyarch jar. Their logs are
 * followed from CloudWatch Logs. Once all succeeded, the index is published here by a {@link LocalExecutor} that builds
 * nothing ({@code --reuse-only}: each image is found by its build key); if any failed, nothing is published.
 */
public final class CodeBuildExecutor implements Executor {
    public record JobResult(Platform platform, String project, String buildId, String status) {
        public boolean ok() {
            return "SUCCEEDED".equals(status);
        }
    }

    private final AwsSetup aws;
    private final BiConsumer<String, String> log; // (cell, line)
    private final Duration poll;
    private final String configPath;
    private final Path jar;
    private final LocalExecutor publisher;

    /**
     * @param configPath where the jobs find the config in the repository
     * @param jar        this polyarch's jar, uploaded once for the jobs to run
     * @param publisher  publishes the index here once every platform job succeeded (made to build nothing)
     */
    public CodeBuildExecutor(AwsSetup aws, BiConsumer<String, String> log, Duration poll, String configPath, Path jar, LocalExecutor publisher) {
        this.aws = aws;
        this.log = log;
        this.poll = poll;
        this.configPath = configPath;
        this.jar = jar;
        this.publisher = publisher;
    }

    @Override
    public RunReport execute(Plan plan, PipelineSpec spec, GitSource.Checkout src) throws PolyarchException, InterruptedException {
        if (src.dirty()) throw new InvalidInputException("--executor codebuild builds a commit CodeBuild can clone: commit and push your changes first");
        List<JobResult> jobs = runJobs(spec, src.commit(), configPath, jar);
        List<JobResult> failed = jobs.stream().filter(j -> !j.ok()).toList();
        if (failed.isEmpty()) return publisher.execute(plan, spec, src);
        List<RunReport.ImageReport> images = jobs.stream().map(j -> new RunReport.ImageReport(j.platform(), j.ok() ? "pushed" : "failed", null, 0,
                List.of(), 0, 0, 0, "CodeBuild " + j.project(), j.ok() ? null : "CodeBuild build " + j.buildId() + ": " + j.status(), null, 0, null)).toList();
        String failure = String.join(", ", failed.stream().map(j -> j.platform() + " failed on CodeBuild (" + j.buildId() + ": " + j.status() + ")").toList());
        Plan.Variant v = plan.variants().get(0);
        return new RunReport(RunReport.repositoryOf(plan.destination()), src.commit(), src.branch(),
                List.of(new RunReport.VariantReport(v.name(), v.spec().vars(), v.tags(), List.of(), List.of(), List.of(), null, images, failure, List.of())),
                List.of(), java.util.Map.of(), List.of("no index tag was written or moved"), failure);
    }

    List<JobResult> runJobs(PipelineSpec spec, String commit, String configPath, Path jar) throws AwsException, ConfigException, InterruptedException {
        PipelineSpec.Github gh = spec.github();
        if (gh == null || gh.owner() == null || gh.repo() == null || gh.connectionArn() == null) {
            throw new ConfigException(spec.origin() + ": --executor codebuild clones the commit from GitHub: set source.github.{owner, repo, connectionArn}");
        }
        String account = aws.account();
        try (S3Client s3 = aws.s3(); CodeBuildClient cb = aws.client(CodeBuildClient.builder());
             CloudWatchLogsClient logs = aws.client(CloudWatchLogsClient.builder())) {
            JarStore.Location jarAt = JarStore.put(aws, s3, account, jar, line -> log.accept("", line));
            Map<String, PipelineTemplate.Project> started = new LinkedHashMap<>();
            for (PipelineTemplate.Project p : PipelineTemplate.projects(spec)) {
                if (p.platform() == null) continue;
                Build b = cb.startBuild(r -> r.projectName(p.name())
                        .sourceTypeOverride(SourceType.GITHUB)
                        .sourceLocationOverride("https://github.com/" + gh.owner() + "/" + gh.repo() + ".git")
                        .sourceVersion(commit)
                        .sourceAuthOverride(a -> a.type(SourceAuthType.CODECONNECTIONS).resource(gh.connectionArn()))
                        .gitCloneDepthOverride(0)
                        .artifactsOverride(a -> a.type(ArtifactsType.NO_ARTIFACTS))
                        .buildspecOverride(PipelineTemplate.buildspec(p))
                        .environmentVariablesOverride(
                                env("POLYARCH_CONFIG", configPath), env("POLYARCH_PLATFORM", p.platform().toString()),
                                env("POLYARCH_JAR_BUCKET", jarAt.bucket()), env("POLYARCH_JAR_KEY", jarAt.key()))).build();
                log.accept(p.platform().toString(), "started CodeBuild build " + b.id() + " (project " + p.name() + ")");
                started.put(b.id(), p);
            }
            return follow(cb, logs, started);
        } catch (software.amazon.awssdk.services.codebuild.model.ResourceNotFoundException e) {
            throw new AwsException("the CodeBuild projects of " + PipelineTemplate.pipelineName(spec) + " do not exist in " + aws.region().id()
                    + ": deploy the stack first with polyarch aws deploy", true, e);
        } catch (SdkException e) {
            throw new AwsException("CodeBuild (" + aws.region().id() + "): " + AwsSetup.firstLine(e), false, e);
        }
    }

    private static EnvironmentVariable env(String name, String value) {
        return EnvironmentVariable.builder().name(name).value(value).build();
    }

    /** Polls the builds, printing each one's new log lines, until all are complete. */
    private List<JobResult> follow(CodeBuildClient cb, CloudWatchLogsClient logs, Map<String, PipelineTemplate.Project> builds) throws InterruptedException {
        Map<String, String> tokens = new HashMap<>();
        Map<String, JobResult> done = new LinkedHashMap<>();
        while (done.size() < builds.size()) {
            List<String> open = builds.keySet().stream().filter(id -> !done.containsKey(id)).toList();
            for (Build b : cb.batchGetBuilds(r -> r.ids(open)).builds()) {
                PipelineTemplate.Project p = builds.get(b.id());
                String cell = p.platform().toString();
                if (b.logs() != null && b.logs().groupName() != null && b.logs().streamName() != null) {
                    readLogs(logs, b, cell, tokens);
                }
                if (Boolean.TRUE.equals(b.buildComplete())) {
                    done.put(b.id(), new JobResult(p.platform(), p.name(), b.id(), b.buildStatusAsString()));
                    log.accept(cell, "CodeBuild build " + b.id() + ": " + b.buildStatusAsString()
                            + (b.buildStatus() == StatusType.SUCCEEDED ? "" : " (phase " + b.currentPhase() + ")"));
                }
            }
            if (done.size() < builds.size()) Thread.sleep(poll.toMillis());
        }
        List<JobResult> out = new ArrayList<>();
        builds.keySet().forEach(id -> out.add(done.get(id)));
        return out;
    }

    private void readLogs(CloudWatchLogsClient logs, Build b, String cell, Map<String, String> tokens) {
        while (true) {
            String token = tokens.get(b.id());
            GetLogEventsResponse r;
            try {
                r = logs.getLogEvents(q -> q.logGroupName(b.logs().groupName()).logStreamName(b.logs().streamName()).startFromHead(true).nextToken(token));
            } catch (ResourceNotFoundException notYet) {
                return; // the stream appears once the build container starts
            }
            for (OutputLogEvent e : r.events()) log.accept(cell, e.message().stripTrailing());
            tokens.put(b.id(), r.nextForwardToken());
            if (r.events().isEmpty() || r.nextForwardToken() == null || r.nextForwardToken().equals(token)) return;
        }
    }
}
