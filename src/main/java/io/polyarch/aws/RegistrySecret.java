package io.polyarch.aws;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.registry.auth.Credentials;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

import java.io.IOException;

/**
 * A registry's credentials from AWS Secrets Manager ({@code credentialsSecret} of a {@code registry:} destination):
 * a secret whose string is {@code {"username": ..., "password": ...}}, the shape CodeBuild itself takes for a
 * private registry's image. Messages name the secret's ARN and the keys it lacks, never what it holds.
 */
final class RegistrySecret {
    private RegistrySecret() {
    }

    /** The region of a secret's ARN ({@code arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME}). */
    static String region(String arn) {
        return arn.split(":", 6)[3];
    }

    static Credentials fetch(AwsSetup aws, String arn, String where) throws AwsException {
        String value;
        try (SecretsManagerClient sm = aws.client(SecretsManagerClient.builder())) {
            value = sm.getSecretValue(r -> r.secretId(arn)).secretString();
        } catch (ResourceNotFoundException e) {
            throw new AwsException(where + ": the secret " + arn + " does not exist (or has no current version); create it with "
                    + "aws secretsmanager create-secret --name NAME --secret-string '{\"username\":\"...\",\"password\":\"...\"}'", true, e);
        } catch (SecretsManagerException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            if ("AccessDeniedException".equals(code)) {
                throw new AwsException(where + ": not allowed to read the secret " + arn + ": give this role secretsmanager:GetSecretValue on it "
                        + "(and kms:Decrypt on its key if it has its own)", false, e);
            }
            throw new AwsException(where + ": Secrets Manager GetSecretValue " + arn + ": " + AwsSetup.firstLine(e), false, e);
        } catch (SdkClientException e) {
            throw new AwsException(where + ": cannot reach Secrets Manager for " + arn + " (" + AwsSetup.firstLine(e) + ")", false, e);
        } catch (SdkException e) {
            throw new AwsException(where + ": Secrets Manager GetSecretValue " + arn + ": " + AwsSetup.firstLine(e), false, e);
        }
        return parse(value, arn, where);
    }

    /** The credentials a secret's string holds; what is wrong with it, without any of it, when it holds none. */
    static Credentials parse(String value, String arn, String where) throws AwsException {
        String shape = "; it must be a JSON object {\"username\": ..., \"password\": ...}";
        if (value == null) throw new AwsException(where + ": the secret " + arn + " holds binary data, not a string" + shape, true, null);
        JsonNode n;
        try {
            n = OciJson.mapper().readTree(value); // the run's one mapper: a new one costs ~0.1 s to set up
        } catch (IOException e) {
            throw new AwsException(where + ": the secret " + arn + " is not JSON" + shape, true, null); // no parser message: it quotes the value
        }
        if (n == null || !n.isObject()) throw new AwsException(where + ": the secret " + arn + " is not a JSON object" + shape, true, null);
        JsonNode user = n.get("username");
        JsonNode pass = n.get("password");
        java.util.List<String> missing = new java.util.ArrayList<>();
        if (user == null || !user.isTextual() || user.asText().isEmpty()) missing.add("username");
        if (pass == null || !pass.isTextual() || pass.asText().isEmpty()) missing.add("password");
        if (!missing.isEmpty()) {
            throw new AwsException(where + ": the secret " + arn + " has no " + String.join(" or ", missing) + shape, true, null);
        }
        return new Credentials(user.asText(), pass.asText());
    }
}
