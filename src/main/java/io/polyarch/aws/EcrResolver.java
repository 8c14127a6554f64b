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
    private final boolean publish;
    private AwsSetup session;

    /** @param env the environment AWS credentials and region come from */
    public EcrResolver(Map<String, String> env, Consumer<String> log) {
        this(env, log, true);
    }

    /**
     * @param publish false for a build-only run ({@code --no-publish}), which pushes to the first destination alone:
     *                the others are only named (no AWS call, no repository created, no secret read for them)
     */
    public EcrResolver(Map<String, String> env, Consumer<String> log, boolean publish) {
        this.env = env;
        this.log = log;
        this.publish = publish;
    }

    @Override
    public Resolved resolve(PipelineSpec spec) throws AwsException {
        List<AwsSetup> open = new ArrayList<>();
        List<CredentialProvider> credentials = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try {
            PipelineSpec.Destination primary = resolve(spec.destination(), open, credentials, notes);
            if (spec.destination() instanceof PipelineSpec.Ecr) session = open.get(0);
            List<PipelineSpec.Mirror> mirrors = new ArrayList<>();
            for (PipelineSpec.Mirror m : spec.mirrors()) {
                mirrors.add(m.withDestination(publish ? resolve(m.destination(), open, credentials, notes) : named(m.destination())));
            }
            // nothing to resolve: the spec as it was, but for the other destinations a build-only run only names
            if (open.isEmpty()) return new Resolved(spec.withMirrors(mirrors), null, List.of(), null);
            List<AwsSetup> sessions = List.copyOf(open);
            return new Resolved(spec.withDestination(primary).withMirrors(mirrors), CredentialProvider.firstOf(credentials), notes,
                    () -> sessions.forEach(AwsSetup::close));
        } catch (AwsException | RuntimeException e) {
            open.forEach(AwsSetup::close);
            session = null;
            throw e;
        }
    }

    /**
     * An ECR destination as its registry repository (a session opened for it, its credentials and notes added); a
     * registry destination with a {@code credentialsSecret} as it is, the secret's credentials added for its registry
     * alone; any other as it is.
     */
    private PipelineSpec.Destination resolve(PipelineSpec.Destination d, List<AwsSetup> open, List<CredentialProvider> credentials,
                                             List<String> notes) throws AwsException {
        if (d instanceof PipelineSpec.Target t && t.credentialsSecret() != null && t.ref() instanceof StoreRef.Registry reg) {
            String where = t.origin() + ": credentialsSecret";
            AwsSetup aws;
            try {
                aws = AwsSetup.fromEnv(env, RegistrySecret.region(t.credentialsSecret()));
            } catch (AwsException e) {
                throw new AwsException(where + ": " + e.getMessage(), e.usage(), e);
            }
            open.add(aws);
            credentials.add(CredentialProvider.fixed(reg.reference().registry(), RegistrySecret.fetch(aws, t.credentialsSecret(), where)));
            return d;
        }
        if (!(d instanceof PipelineSpec.Ecr ecr)) return d;
        AwsSetup aws;
        try {
            aws = AwsSetup.fromEnv(env, ecr.region());
        } catch (AwsException e) {
            throw new AwsException(ecr.origin() + ": destination.ecr '" + ecr.repoName() + "': " + e.getMessage(), e.usage(), e);
        }
        open.add(aws);
        EcrDestination.Resolved r = EcrDestination.resolve(ecr, aws, log);
        if (r.immutableTags()) {
            notes.add(r.repository() + " has immutable tags: tags already in place are kept, and a tag that would move fails the run");
        }
        credentials.add(CredentialProvider.fixed(r.registryHost(), r.credentials()));
        return new PipelineSpec.Target(StoreRef.parse(r.repository()), ecr.origin());
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
            List<PipelineSpec.Mirror> mirrors = spec.mirrors().stream().map(m -> m.withDestination(named(m.destination()))).toList();
            return new Resolved(spec.withDestination(named(spec.destination())).withMirrors(mirrors), null, List.of(), null);
        };
    }

    private static PipelineSpec.Destination named(PipelineSpec.Destination d) {
        if (!(d instanceof PipelineSpec.Ecr ecr)) return d;
        String host = (ecr.accountId() != null ? ecr.accountId() : "account") + ".dkr.ecr." + (ecr.region() != null ? ecr.region() : "region")
                + ".amazonaws.com";
        return new PipelineSpec.Target(StoreRef.parse(host + "/" + ecr.repoName()), ecr.origin());
    }
}
