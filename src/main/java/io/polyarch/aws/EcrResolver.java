package io.polyarch.aws;

import io.polyarch.pipeline.run.DestinationResolver;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Resolves an ECR destination ({@link EcrDestination}: account, repository, registry credentials) for a run; any
 * other destination is taken as it is. The AWS session it opened stays open until the resolution is closed, for a
 * step that needs AWS again (the CodeBuild executor).
 */
public final class EcrResolver implements DestinationResolver {
    private final Map<String, String> env;
    private final Consumer<String> log;
    private AwsSetup session;

    /** @param env the environment AWS credentials and region come from */
    public EcrResolver(Map<String, String> env, Consumer<String> log) {
        this.env = env;
        this.log = log;
    }

    @Override
    public Resolved resolve(PipelineSpec spec) throws AwsException {
        if (!(spec.destination() instanceof PipelineSpec.Ecr ecr)) return new Resolved(spec, null, List.of(), null);
        AwsSetup aws;
        try {
            aws = AwsSetup.fromEnv(env, ecr.region());
        } catch (AwsException e) {
            throw new AwsException(ecr.origin() + ": destination.ecr '" + ecr.repoName() + "': " + e.getMessage(), e.usage(), e);
        }
        try {
            EcrDestination.Resolved r = EcrDestination.resolve(ecr, aws, log);
            List<String> notes = new ArrayList<>();
            if (r.immutableTags()) {
                notes.add(r.repository() + " has immutable tags: tags already in place are kept, and a tag that would move fails the run");
            }
            session = aws;
            return new Resolved(spec.withDestination(new PipelineSpec.Target(StoreRef.parse(r.repository()), ecr.origin())),
                    CredentialProvider.fixed(r.registryHost(), r.credentials()), notes, aws);
        } catch (AwsException | RuntimeException e) {
            aws.close();
            throw e;
        }
    }

    /** The AWS session of the last ECR destination resolved, while its resolution is open. */
    public Optional<AwsSetup> session() {
        return Optional.ofNullable(session);
    }

    /**
     * For {@code polyarch plan}, which calls nothing: an ECR destination named by the account and region the config
     * gives, or placeholders for them.
     */
    public static DestinationResolver offline() {
        return spec -> {
            if (!(spec.destination() instanceof PipelineSpec.Ecr ecr)) return new Resolved(spec, null, List.of(), null);
            String host = (ecr.accountId() != null ? ecr.accountId() : "account") + ".dkr.ecr." + (ecr.region() != null ? ecr.region() : "region")
                    + ".amazonaws.com";
            return new Resolved(spec.withDestination(new PipelineSpec.Target(StoreRef.parse(host + "/" + ecr.repoName()), ecr.origin())),
                    null, List.of(), null);
        };
    }
}
