package io.polyarch.pipeline.run;

import io.polyarch.error.PolyarchException;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.registry.auth.CredentialProvider;

import java.util.List;

/**
 * Makes a spec's destination concrete before a plan is made of it: a registry repository or a layout stays as it
 * is; a cloud destination (ECR, in {@code io.polyarch.aws}) becomes its registry repository, with the credentials
 * that registry takes. A front end asks one of these and never needs to know which kind of destination it has.
 */
@FunctionalInterface
public interface DestinationResolver {
    /**
     * @param spec        the spec, its destination now a {@link PipelineSpec.Target}
     * @param credentials for the destination's registry (tried before any other), or null
     * @param notes       what the user should know (a repository created, tags that are immutable)
     * @param resources   released by {@link #close} once the run is over (cloud clients a later step reuses)
     */
    record Resolved(PipelineSpec spec, CredentialProvider credentials, List<String> notes, AutoCloseable resources) implements AutoCloseable {
        public Resolved {
            notes = List.copyOf(notes);
        }

        @Override
        public void close() throws Exception {
            if (resources != null) resources.close();
        }
    }

    Resolved resolve(PipelineSpec spec) throws PolyarchException;

    /** For destinations that need no resolving (a registry repository, an OCI layout). */
    DestinationResolver AS_IS = spec -> new Resolved(spec, null, List.of(), null);
}
