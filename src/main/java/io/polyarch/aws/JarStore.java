package io.polyarch.aws;

import io.polyarch.oci.Digest;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Where the CodeBuild jobs find the polyarch jar: a private bucket per account and region
 * ({@code polyarch-ACCOUNT-REGION}), the jar under {@code polyarch/<hash>/polyarch.jar}, uploaded once per content.
 */
final class JarStore {
    record Location(String bucket, String key) {
    }

    private JarStore() {
    }

    static Location put(AwsSetup aws, S3Client s3, String account, Path jar, Consumer<String> log) throws AwsException {
        String bucket = "polyarch-" + account + "-" + aws.region().id();
        String key;
        try {
            key = "polyarch/" + Digest.sha256(Files.readAllBytes(jar)).hex().substring(0, 16) + "/polyarch.jar";
        } catch (IOException e) {
            throw new AwsException("cannot read the polyarch jar " + jar + ": " + e.getMessage(), false, e);
        }
        ensureBucket(aws, s3, bucket, log);
        uploadOnce(s3, bucket, key, jar, log);
        return new Location(bucket, key);
    }

    private static void ensureBucket(AwsSetup aws, S3Client s3, String bucket, Consumer<String> log) {
        try {
            s3.headBucket(r -> r.bucket(bucket));
        } catch (NoSuchBucketException e) {
            createBucket(aws, s3, bucket, log);
        } catch (S3Exception e) {
            if (e.statusCode() != 404) throw e;
            createBucket(aws, s3, bucket, log);
        }
    }

    private static void createBucket(AwsSetup aws, S3Client s3, String bucket, Consumer<String> log) {
        String region = aws.region().id();
        s3.createBucket(r -> {
            r.bucket(bucket);
            if (!region.equals("us-east-1")) r.createBucketConfiguration(c -> c.locationConstraint(BucketLocationConstraint.fromValue(region)));
        });
        s3.putPublicAccessBlock(r -> r.bucket(bucket).publicAccessBlockConfiguration(c -> c.blockPublicAcls(true).blockPublicPolicy(true)
                .ignorePublicAcls(true).restrictPublicBuckets(true)));
        log.accept("created bucket " + bucket + " for the polyarch jar (private, encrypted by S3 default)");
    }

    private static void uploadOnce(S3Client s3, String bucket, String key, Path jar, Consumer<String> log) {
        try {
            s3.headObject(r -> r.bucket(bucket).key(key));
            log.accept("polyarch jar already at s3://" + bucket + "/" + key);
            return;
        } catch (NoSuchKeyException e) {
            // upload below
        } catch (S3Exception e) {
            if (e.statusCode() != 404) throw e;
        }
        s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromFile(jar));
        log.accept("uploaded the polyarch jar to s3://" + bucket + "/" + key);
    }
}
