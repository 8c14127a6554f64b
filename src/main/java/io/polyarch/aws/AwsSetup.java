package io.polyarch.aws;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * How polyarch reaches AWS: the region (config, else {@code AWS_REGION}/{@code AWS_DEFAULT_REGION}, else the
 * SDK's chain: profile, instance metadata), the credentials (keys in the environment, else the SDK's default chain:
 * profiles, SSO, container and instance roles, as in CodeBuild), and optionally one endpoint for every service
 * ({@code AWS_ENDPOINT_URL}, as the AWS CLI reads it; for VPC endpoints and tests). One small HTTP client for all.
 */
public final class AwsSetup implements AutoCloseable {
    private final Region region;
    private final AwsCredentialsProvider credentials;
    private final URI endpoint;
    private final SdkHttpClient http;

    private AwsSetup(Region region, AwsCredentialsProvider credentials, URI endpoint) {
        this.region = region;
        this.credentials = credentials;
        this.endpoint = endpoint;
        this.http = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)).build();
    }

    public static AwsSetup fromEnv(Map<String, String> env, String configuredRegion) throws AwsException {
        String r = configuredRegion;
        if (r == null || r.isBlank()) r = env.get("AWS_REGION");
        if (r == null || r.isBlank()) r = env.get("AWS_DEFAULT_REGION");
        if (r == null || r.isBlank()) {
            try {
                r = new DefaultAwsRegionProviderChain().getRegion().id();
            } catch (RuntimeException e) {
                throw new AwsException("no AWS region: set destination.ecr.region, AWS_REGION, or a region in your AWS profile", true, e);
            }
        }
        AwsCredentialsProvider creds;
        String key = env.get("AWS_ACCESS_KEY_ID");
        String secret = env.get("AWS_SECRET_ACCESS_KEY");
        if (key != null && !key.isBlank()) {
            if (secret == null || secret.isBlank()) throw new AwsException("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", true, null);
            String token = env.get("AWS_SESSION_TOKEN");
            creds = StaticCredentialsProvider.create(token == null || token.isBlank()
                    ? AwsBasicCredentials.create(key, secret) : AwsSessionCredentials.create(key, secret, token));
        } else {
            creds = DefaultCredentialsProvider.builder().build();
        }
        String ep = env.get("AWS_ENDPOINT_URL");
        URI endpoint = null;
        if (ep != null && !ep.isBlank()) {
            try {
                endpoint = URI.create(ep.strip());
            } catch (IllegalArgumentException e) {
                throw new AwsException("AWS_ENDPOINT_URL '" + ep + "' is not a URL", true, e);
            }
        }
        return new AwsSetup(Region.of(r), creds, endpoint);
    }

    /** The region's id ({@code us-east-1}), for front ends that keep the SDK's types out of their code. */
    public String regionId() {
        return region().id();
    }

    public Region region() {
        return region;
    }

    /** Applies region, credentials, endpoint and HTTP client to any service client builder. */
    public <B extends AwsClientBuilder<B, C> & software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder<B, C>, C> C client(B builder) {
        builder.region(region).credentialsProvider(credentials).httpClient(http);
        if (endpoint != null) builder.endpointOverride(endpoint);
        return builder.build();
    }

    /** An S3 client: path-style addressing (works with any endpoint) and checksums only where S3 requires them. */
    software.amazon.awssdk.services.s3.S3Client s3() {
        return client(software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true)
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED));
    }

    /** The account the credentials belong to (STS GetCallerIdentity); no usable credentials is an error saying how to give some. */
    public String account() throws AwsException {
        try (software.amazon.awssdk.services.sts.StsClient sts = client(software.amazon.awssdk.services.sts.StsClient.builder())) {
            return sts.getCallerIdentity().account();
        } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
            throw new AwsException("no usable AWS credentials (" + firstLine(e) + "); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                    + "AWS_PROFILE, or run where a role is attached (CodeBuild, EC2)", true, e);
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            throw new AwsException("STS GetCallerIdentity (" + region.id() + "): " + firstLine(e), false, e);
        }
    }

    static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl > 0 ? m.substring(0, nl) : m;
    }

    @Override
    public void close() {
        http.close();
    }
}
