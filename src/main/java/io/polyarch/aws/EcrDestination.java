package io.polyarch.aws;

import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.registry.auth.Credentials;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.AuthorizationData;
import software.amazon.awssdk.services.ecr.model.EncryptionType;
import software.amazon.awssdk.services.ecr.model.ImageTagMutability;
import software.amazon.awssdk.services.ecr.model.Repository;
import software.amazon.awssdk.services.ecr.model.RepositoryNotFoundException;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Consumer;

/**
 * An ECR destination made concrete: the account (from the config or STS), the repository (created when the
 * config says {@code exists: false}: scan on push, encrypted), and registry credentials from ECR's
 * {@code GetAuthorizationToken} (what {@code aws ecr get-login-password} does). The registry host is the token's
 * proxy endpoint. The password is only ever handed to the registry client.
 */
public final class EcrDestination {
    /**
     * @param repository   {@code HOST/NAME} of the repository
     * @param credentials  registry credentials, valid for 12 hours
     * @param immutableTags the repository refuses to move a tag (polyarch then never rewrites a tag that is in place)
     * @param created      the repository was created by this call
     */
    public record Resolved(String repository, String registryHost, Credentials credentials, String accountId, String region,
                           boolean immutableTags, boolean created) {
        @Override
        public String toString() {
            return "Resolved[" + repository + ", account " + accountId + ", " + region + "]"; // never the password
        }
    }

    private EcrDestination() {
    }

    public static Resolved resolve(PipelineSpec.Ecr ecr, AwsSetup aws, Consumer<String> log) throws AwsException {
        String where = ecr.origin() + ": destination.ecr";
        if (ecr.region() != null && !ecr.region().equals(aws.region().id())) {
            // the setup was made with the configured region, so this only happens when a caller mixes them up
            throw new AwsException(where + ".region is " + ecr.region() + " but AWS calls go to " + aws.region().id(), true, null);
        }
        try (EcrClient client = aws.client(EcrClient.builder())) {
            String account = aws.account();
            if (ecr.accountId() != null && !ecr.accountId().equals(account)) {
                throw new AwsException(where + ".accountId is " + ecr.accountId() + " but the credentials are for account " + account
                        + "; use that account's credentials or fix accountId", true, null);
            }
            Repository repo;
            boolean created = false;
            try {
                repo = client.describeRepositories(r -> r.registryId(account).repositoryNames(ecr.repoName())).repositories().get(0);
            } catch (RepositoryNotFoundException e) {
                if (ecr.exists()) {
                    throw new AwsException(where + ".repoName '" + ecr.repoName() + "' does not exist in account " + account + " ("
                            + aws.region().id() + "); create it, or set exists: false and polyarch creates it", true, e);
                }
                repo = client.createRepository(r -> r.registryId(account).repositoryName(ecr.repoName())
                        .imageScanningConfiguration(s -> s.scanOnPush(true))
                        .encryptionConfiguration(c -> c.encryptionType(EncryptionType.AES256))
                        .imageTagMutability(ImageTagMutability.MUTABLE)).repository();
                created = true;
                log.accept("created ECR repository " + repo.repositoryUri() + " (scan on push, AES-256 encryption)");
            }
            AuthorizationData auth = client.getAuthorizationToken(r -> r.registryIds(account)).authorizationData().get(0);
            String decoded = new String(Base64.getDecoder().decode(auth.authorizationToken()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            if (colon <= 0) throw new AwsException("ECR returned an authorization token polyarch cannot read", false, null);
            URI proxy = URI.create(auth.proxyEndpoint());
            String host = proxy.getHost() + (proxy.getPort() > 0 ? ":" + proxy.getPort() : "");
            boolean immutable = repo.imageTagMutability() == ImageTagMutability.IMMUTABLE
                    || repo.imageTagMutability() == ImageTagMutability.IMMUTABLE_WITH_EXCLUSION;
            return new Resolved(host + "/" + ecr.repoName(), host, new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1)),
                    account, aws.region().id(), immutable, created);
        } catch (SdkException e) {
            throw new AwsException("ECR " + ecr.repoName() + " in " + aws.region().id() + ": " + AwsSetup.firstLine(e), false, e);
        }
    }

}
