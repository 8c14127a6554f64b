package io.polyarch.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.PipelineSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CloudFormation template for a pipeline on AWS: CodePipeline V2 with the GitHub source through a
 * CodeConnections connection, one CodeBuild project per platform on its native builder (Graviton for arm64,
 * x86_64 for amd64; other platforms under QEMU on x86_64), each running {@code polyarch run --platform P
 * --no-publish} from the polyarch jar, then a publish project running {@code polyarch run --reuse-only} (which
 * also makes the SOCI indexes when the config asks for them). The ECR repository (unless it exists), an encrypted,
 * private artifact bucket with a lifecycle rule, log groups, and one least-privilege role each for CodeBuild and
 * CodePipeline: push to this one repository, write these log groups, read and write this bucket, read the jar.
 */
public final class PipelineTemplate {
    public static final String X86_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";
    public static final String ARM_IMAGE = "aws/codebuild/amazonlinux-aarch64-standard:3.0";
    public static final int LOG_RETENTION_DAYS = 30;
    public static final int ARTIFACT_EXPIRY_DAYS = 30;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /**
     * @param configPath the config file in the repository ({@code values.yaml} or {@code polyarch.yaml}) the jobs read
     */
    public record Options(String configPath) {
    }

    private PipelineTemplate() {
    }

    /** One CodeBuild project: the platform it builds (null for publish), its logical name and project name. */
    public record Project(String logicalId, String name, Platform platform, boolean arm) {
    }

    public static List<Project> projects(PipelineSpec spec) {
        String base = pipelineName(spec);
        List<Project> out = new ArrayList<>();
        for (Platform p : spec.platforms()) {
            String arch = spec.archName(p);
            String id = "Build" + camel(arch);
            out.add(new Project(id, base + "-" + arch.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-"), p, "arm64".equals(p.normalized().architecture())));
        }
        out.add(new Project("Publish", base + "-publish", null, false));
        return out;
    }

    public static String pipelineName(PipelineSpec spec) {
        String n = spec.pipelineName() != null ? spec.pipelineName() : "polyarch";
        return n.replaceAll("[^A-Za-z0-9-]", "-");
    }

    /**
     * What the user should know about the template: what the lifecycle policy leaves out, and for a repository the
     * stack does not own ({@code exists: true}), how to give it the policy.
     */
    public static List<String> notes(PipelineSpec spec) {
        if (!(spec.destination() instanceof PipelineSpec.Ecr ecr) || ecr.lifecycle() == null) return List.of();
        EcrLifecycle.Policy policy = EcrLifecycle.of(spec, ecr.lifecycle());
        List<String> notes = new java.util.ArrayList<>(policy.notes());
        if (ecr.exists()) {
            notes.add("ecr.lifecycle: " + ecr.repoName() + " exists, so the stack does not own it; give it the policy with: aws ecr put-lifecycle-policy "
                    + "--repository-name " + ecr.repoName() + " --lifecycle-policy-text '" + policy.text() + "'");
        }
        return notes;
    }

    /** The destination repository and every other ECR destination ({@code destinations:}), which the publish job pushes to as well. */
    private static ArrayNode pushArns(PipelineSpec spec, JsonNode repoArn) {
        ArrayNode arns = F.arrayNode().add(repoArn);
        for (PipelineSpec.Mirror m : spec.mirrors()) {
            if (m.destination() instanceof PipelineSpec.Ecr e) {
                arns.add(sub("arn:${AWS::Partition}:ecr:" + (e.region() != null ? e.region() : "${AWS::Region}") + ":"
                        + (e.accountId() != null ? e.accountId() : "${AWS::AccountId}") + ":repository/" + e.repoName()));
            }
        }
        return arns;
    }

    /** The {@code credentialsSecret} of every registry destination, each once. */
    private static ArrayNode secretArns(PipelineSpec spec) {
        ArrayNode arns = F.arrayNode();
        java.util.Set<String> seen = new java.util.LinkedHashSet<>();
        List<PipelineSpec.Destination> all = new java.util.ArrayList<>(List.of(spec.destination()));
        for (PipelineSpec.Mirror m : spec.mirrors()) all.add(m.destination());
        for (PipelineSpec.Destination d : all) {
            if (d instanceof PipelineSpec.Target t && t.credentialsSecret() != null && seen.add(t.credentialsSecret())) arns.add(t.credentialsSecret());
        }
        return arns;
    }

    private static String camel(String s) {
        StringBuilder b = new StringBuilder();
        for (String part : s.split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return b.toString();
    }

    public static ObjectNode render(PipelineSpec spec, Options o) throws ConfigException {
        if (!(spec.destination() instanceof PipelineSpec.Ecr ecr)) {
            throw new ConfigException(spec.origin() + ": the AWS pipeline publishes to ECR: set destination.ecr.repoName (and exists)");
        }
        PipelineSpec.Github gh = spec.github();
        if (gh == null || blank(gh.owner()) || blank(gh.repo()) || blank(gh.branch())) {
            throw new ConfigException(spec.origin() + ": the AWS pipeline needs source.github.{owner, repo, branch}");
        }
        if (blank(gh.connectionArn())) {
            throw new ConfigException(spec.origin() + ": source.github.connectionArn is missing: create a CodeConnections connection to GitHub "
                    + "(console: Developer Tools > Settings > Connections) and put its ARN here");
        }
        if (!gh.connectionArn().matches("arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\\d{12}:connection/.+")) {
            throw new ConfigException(spec.origin() + ": source.github.connectionArn '" + gh.connectionArn()
                    + "' is not a connection ARN (arn:aws:codeconnections:REGION:ACCOUNT:connection/ID)");
        }
        String name = pipelineName(spec);
        List<Project> projects = projects(spec);

        ObjectNode t = F.objectNode();
        t.put("AWSTemplateFormatVersion", "2010-09-09");
        t.put("Description", "polyarch pipeline " + name + ": " + gh.owner() + "/" + gh.repo() + "@" + gh.branch() + " -> ECR " + ecr.repoName()
                + " for " + String.join(", ", spec.platforms().stream().map(Platform::toString).toList()));
        ObjectNode params = t.putObject("Parameters");
        params.putObject("PolyarchJarBucket").put("Type", "String").put("Description", "S3 bucket holding the polyarch jar the jobs run");
        params.putObject("PolyarchJarKey").put("Type", "String").put("Description", "S3 key of the polyarch jar");
        ObjectNode res = t.putObject("Resources");

        JsonNode repoArn;
        JsonNode repoUri;
        if (!ecr.exists()) {
            ObjectNode r = resource(res, "Repository", "AWS::ECR::Repository");
            ObjectNode p = r.putObject("Properties");
            p.put("RepositoryName", ecr.repoName());
            p.putObject("ImageScanningConfiguration").put("ScanOnPush", true);
            p.putObject("EncryptionConfiguration").put("EncryptionType", "AES256");
            p.put("ImageTagMutability", "MUTABLE");
            if (ecr.lifecycle() != null) p.putObject("LifecyclePolicy").put("LifecyclePolicyText", EcrLifecycle.of(spec, ecr.lifecycle()).text());
            r.put("DeletionPolicy", "Retain");
            r.put("UpdateReplacePolicy", "Retain");
            repoArn = getAtt("Repository", "Arn");
            repoUri = getAtt("Repository", "RepositoryUri");
        } else {
            repoArn = sub("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/" + ecr.repoName());
            repoUri = sub("${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/" + ecr.repoName());
        }

        ObjectNode bucket = resource(res, "ArtifactBucket", "AWS::S3::Bucket").putObject("Properties");
        bucket.putObject("BucketEncryption").putArray("ServerSideEncryptionConfiguration").addObject()
                .putObject("ServerSideEncryptionByDefault").put("SSEAlgorithm", "AES256");
        bucket.putObject("PublicAccessBlockConfiguration").put("BlockPublicAcls", true).put("BlockPublicPolicy", true)
                .put("IgnorePublicAcls", true).put("RestrictPublicBuckets", true);
        bucket.putObject("LifecycleConfiguration").putArray("Rules").addObject().put("Id", "expire-pipeline-artifacts")
                .put("Status", "Enabled").put("ExpirationInDays", ARTIFACT_EXPIRY_DAYS);
        bucket.putObject("OwnershipControls").putArray("Rules").addObject().put("ObjectOwnership", "BucketOwnerEnforced");

        for (Project pr : projects) {
            ObjectNode lg = resource(res, pr.logicalId() + "Logs", "AWS::Logs::LogGroup").putObject("Properties");
            lg.put("LogGroupName", "/aws/codebuild/" + pr.name());
            lg.put("RetentionInDays", LOG_RETENTION_DAYS);
        }

        // CodeBuild's role: only what the jobs do
        ObjectNode buildRole = role(res, "BuildRole", "codebuild.amazonaws.com");
        ArrayNode bs = policy(buildRole, "polyarch-build");
        ArrayNode logArns = F.arrayNode();
        for (Project pr : projects) logArns.add(getAtt(pr.logicalId() + "Logs", "Arn"));
        statement(bs, "WriteOwnLogs", List.of("logs:CreateLogStream", "logs:PutLogEvents"), logArns);
        statement(bs, "PipelineArtifacts", List.of("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
                F.arrayNode().add(sub("${ArtifactBucket.Arn}/*")));
        // the jars polyarch put there (deploy's, or a newer one a --executor codebuild run brings), nothing else in the bucket
        statement(bs, "ReadPolyarchJar", List.of("s3:GetObject"), F.arrayNode().add(sub("arn:${AWS::Partition}:s3:::${PolyarchJarBucket}/polyarch/*")));
        statement(bs, "EcrLogin", List.of("ecr:GetAuthorizationToken"), F.arrayNode().add("*")); // this action has no resource-level scope
        statement(bs, "PushToThisRepository", List.of("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
                "ecr:PutImage", "ecr:UploadLayerPart"), pushArns(spec, repoArn));
        ArrayNode secrets = secretArns(spec);
        if (!secrets.isEmpty()) {
            // the credentials of the other registries the publish job pushes to (credentialsSecret), each secret by its ARN
            statement(bs, "ReadRegistryCredentials", List.of("secretsmanager:GetSecretValue"), secrets);
        }
        statement(bs, "CloneSource", List.of("codeconnections:UseConnection", "codestar-connections:UseConnection"),
                F.arrayNode().add(gh.connectionArn()));

        ArrayNode projectArns = F.arrayNode();
        for (Project pr : projects) {
            ObjectNode p = resource(res, pr.logicalId(), "AWS::CodeBuild::Project").putObject("Properties");
            p.put("Name", pr.name());
            p.put("Description", pr.platform() == null ? "polyarch: publish the index (and SOCI indexes) of " + name
                    : "polyarch: build, test and push " + pr.platform() + " for " + name);
            p.set("ServiceRole", getAtt("BuildRole", "Arn"));
            p.putObject("Source").put("Type", "CODEPIPELINE").put("BuildSpec", buildspec(pr));
            p.putObject("Artifacts").put("Type", "CODEPIPELINE");
            ObjectNode env = p.putObject("Environment");
            env.put("Type", pr.arm() ? "ARM_CONTAINER" : "LINUX_CONTAINER");
            env.put("ComputeType", pr.platform() == null ? "BUILD_GENERAL1_SMALL" : "BUILD_GENERAL1_LARGE");
            env.put("Image", pr.arm() ? ARM_IMAGE : X86_IMAGE);
            env.put("PrivilegedMode", true); // the Docker engine inside the build container
            ArrayNode vars = env.putArray("EnvironmentVariables");
            vars.addObject().put("Name", "POLYARCH_CONFIG").put("Value", o.configPath());
            vars.addObject().put("Name", "POLYARCH_PLATFORM").put("Value", pr.platform() == null ? "" : pr.platform().toString());
            vars.addObject().put("Name", "POLYARCH_JAR_BUCKET").set("Value", ref("PolyarchJarBucket"));
            vars.addObject().put("Name", "POLYARCH_JAR_KEY").set("Value", ref("PolyarchJarKey"));
            p.putObject("LogsConfig").putObject("CloudWatchLogs").put("Status", "ENABLED").set("GroupName", ref(pr.logicalId() + "Logs"));
            p.put("TimeoutInMinutes", 60);
            projectArns.add(getAtt(pr.logicalId(), "Arn"));
        }

        // CodePipeline's role
        ObjectNode pipeRole = role(res, "PipelineRole", "codepipeline.amazonaws.com");
        ArrayNode ps = policy(pipeRole, "polyarch-pipeline");
        statement(ps, "PipelineArtifacts", List.of("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"), F.arrayNode().add(sub("${ArtifactBucket.Arn}/*")));
        statement(ps, "ArtifactBucket", List.of("s3:GetBucketVersioning", "s3:GetBucketLocation"), F.arrayNode().add(getAtt("ArtifactBucket", "Arn")));
        statement(ps, "RunTheBuilds", List.of("codebuild:StartBuild", "codebuild:BatchGetBuilds"), projectArns);
        statement(ps, "UseTheConnection", List.of("codeconnections:UseConnection", "codestar-connections:UseConnection"), F.arrayNode().add(gh.connectionArn()));

        ObjectNode pipe = resource(res, "Pipeline", "AWS::CodePipeline::Pipeline").putObject("Properties");
        pipe.put("Name", name);
        pipe.put("PipelineType", "V2");
        pipe.set("RoleArn", getAtt("PipelineRole", "Arn"));
        pipe.putObject("ArtifactStore").put("Type", "S3").set("Location", ref("ArtifactBucket"));
        ArrayNode stages = pipe.putArray("Stages");
        ObjectNode source = stages.addObject().put("Name", "Source").putArray("Actions").addObject();
        source.put("Name", "Source");
        source.putObject("ActionTypeId").put("Category", "Source").put("Owner", "AWS").put("Provider", "CodeStarSourceConnection").put("Version", "1");
        ObjectNode sc = source.putObject("Configuration");
        sc.put("ConnectionArn", gh.connectionArn());
        sc.put("FullRepositoryId", gh.owner() + "/" + gh.repo());
        sc.put("BranchName", gh.branch());
        sc.put("OutputArtifactFormat", "CODEBUILD_CLONE_REF"); // a Git clone, so polyarch reads the commit for its tags
        sc.put("DetectChanges", gh.triggerOnPush());
        source.putArray("OutputArtifacts").addObject().put("Name", "Source");
        ArrayNode buildActions = stages.addObject().put("Name", "Build").putArray("Actions");
        for (Project pr : projects) {
            ArrayNode actions = pr.platform() != null ? buildActions : null;
            if (actions == null) continue;
            codebuildAction(actions, pr);
        }
        codebuildAction(stages.addObject().put("Name", "Publish").putArray("Actions"), projects.get(projects.size() - 1));
        if (gh.triggerOnPush()) {
            ObjectNode trig = pipe.putArray("Triggers").addObject();
            trig.put("ProviderType", "CodeStarSourceConnection");
            ObjectNode git = trig.putObject("GitConfiguration");
            git.put("SourceActionName", "Source");
            git.putArray("Push").addObject().putObject("Branches").putArray("Includes").add(gh.branch());
        }

        ObjectNode out = t.putObject("Outputs");
        out.putObject("PipelineName").set("Value", ref("Pipeline"));
        out.putObject("RepositoryUri").set("Value", repoUri);
        out.putObject("ArtifactBucketName").set("Value", ref("ArtifactBucket"));
        return t;
    }

    private static void codebuildAction(ArrayNode actions, Project pr) {
        ObjectNode a = actions.addObject();
        a.put("Name", pr.platform() == null ? "Publish" : "Build-" + pr.name().substring(pr.name().lastIndexOf('-') + 1));
        a.putObject("ActionTypeId").put("Category", "Build").put("Owner", "AWS").put("Provider", "CodeBuild").put("Version", "1");
        a.putObject("Configuration").set("ProjectName", ref(pr.logicalId()));
        a.putArray("InputArtifacts").addObject().put("Name", "Source");
        a.put("RunOrder", 1);
    }

    /** The commands every job runs: fetch the jar unless POLYARCH_JAR names one, then polyarch for the platform or the publish step. */
    static final String FETCH_JAR = "if [ -z \"${POLYARCH_JAR:-}\" ]; then aws s3 cp --quiet \"s3://$POLYARCH_JAR_BUCKET/$POLYARCH_JAR_KEY\" /tmp/polyarch.jar; fi";
    static final String USE_JAR = "export POLYARCH_JAR=\"${POLYARCH_JAR:-/tmp/polyarch.jar}\"; ";
    static final String PLATFORM_JOB = "java -jar \"$POLYARCH_JAR\" run -c \"$POLYARCH_CONFIG\" --platform \"$POLYARCH_PLATFORM\" --no-publish";
    static final String PUBLISH_JOB = "java -jar \"$POLYARCH_JAR\" run -c \"$POLYARCH_CONFIG\" --reuse-only";

    /**
     * The job's buildspec: fetch the jar (unless {@code POLYARCH_JAR} names one already, as in a local test of these
     * very commands), then run polyarch: the platform's build, or the publish step.
     */
    public static String buildspec(Project pr) {
        String run = pr.platform() == null ? PUBLISH_JOB : PLATFORM_JOB;
        return String.join("\n",
                "version: 0.2",
                "env:",
                "  shell: bash",
                "phases:",
                "  install:",
                "    runtime-versions:",
                "      java: corretto21",
                "    commands:",
                "      - '" + FETCH_JAR.replace("'", "''") + "'",
                "  build:",
                "    commands:",
                "      - '" + (USE_JAR + run).replace("'", "''") + "'",
                "");
    }

    private static ObjectNode resource(ObjectNode res, String id, String type) {
        ObjectNode r = res.putObject(id);
        r.put("Type", type);
        return r;
    }

    private static ObjectNode role(ObjectNode res, String id, String service) {
        ObjectNode p = resource(res, id, "AWS::IAM::Role").putObject("Properties");
        ObjectNode doc = p.putObject("AssumeRolePolicyDocument");
        doc.put("Version", "2012-10-17");
        ObjectNode st = doc.putArray("Statement").addObject();
        st.put("Effect", "Allow");
        st.putObject("Principal").put("Service", service);
        st.put("Action", "sts:AssumeRole");
        return p;
    }

    private static ArrayNode policy(ObjectNode roleProps, String name) {
        ObjectNode pol = roleProps.putArray("Policies").addObject();
        pol.put("PolicyName", name);
        ObjectNode doc = pol.putObject("PolicyDocument");
        doc.put("Version", "2012-10-17");
        return doc.putArray("Statement");
    }

    private static void statement(ArrayNode statements, String sid, List<String> actions, ArrayNode resources) {
        ObjectNode s = statements.addObject();
        s.put("Sid", sid);
        s.put("Effect", "Allow");
        ArrayNode a = s.putArray("Action");
        actions.forEach(a::add);
        s.set("Resource", resources);
    }

    private static ObjectNode ref(String id) {
        return F.objectNode().put("Ref", id);
    }

    private static ObjectNode getAtt(String id, String attr) {
        ObjectNode n = F.objectNode();
        n.putArray("Fn::GetAtt").add(id).add(attr);
        return n;
    }

    private static ObjectNode sub(String s) {
        return F.objectNode().put("Fn::Sub", s);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
