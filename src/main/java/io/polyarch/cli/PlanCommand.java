package io.polyarch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.git.GitSource;
import io.polyarch.oci.OciJson;
import io.polyarch.pipeline.run.PipelineRunner;
import io.polyarch.pipeline.spec.PipelineSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Print what `polyarch run` would do, as a DAG of jobs, without building or contacting anything:",
                "build[variant x platform] -> test -> push -> publish[variant], and the tags each step writes.",
                "Takes the same source, config and override flags as run."})
final class PlanCommand extends PipelineOptions implements Callable<Integer> {
    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (GitSource.Checkout checkout = checkout()) {
            PipelineSpec spec = spec(checkout);
            if (spec.destination() instanceof PipelineSpec.Ecr ecr) {
                // plan does not call AWS: the account and region are filled in by run
                String host = (ecr.accountId() != null ? ecr.accountId() : "account") + ".dkr.ecr." + (ecr.region() != null ? ecr.region() : "region") + ".amazonaws.com";
                spec = spec.withDestination(new PipelineSpec.Target(io.polyarch.store.StoreRef.parse(host + "/" + ecr.repoName()), ecr.origin()));
            }
            List<String> notes = new ArrayList<>();
            List<PipelineRunner.PlannedJob> jobs = PipelineRunner.describe(spec, checkout, notes);
            if (json) {
                ObjectNode o = OciJson.mapper().createObjectNode();
                o.put("commit", checkout.commit());
                o.put("fastFail", spec.fastFail());
                o.put("parallelism", spec.parallelism() > 0 ? spec.parallelism() : spec.variants().size() * spec.platforms().size());
                ArrayNode a = o.putArray("jobs");
                for (PipelineRunner.PlannedJob j : jobs) {
                    ObjectNode n = a.addObject();
                    n.put("id", j.id());
                    n.put("kind", j.kind());
                    n.put("variant", j.variant());
                    n.put("platform", j.platform());
                    ArrayNode needs = n.putArray("needs");
                    j.needs().forEach(needs::add);
                    ArrayNode tags = n.putArray("tags");
                    j.tags().forEach(tags::add);
                }
                ArrayNode ns = o.putArray("notes");
                notes.forEach(ns::add);
                ctx.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
            } else {
                ctx.out.println("plan for " + checkout.commit().substring(0, 8) + (spec.fastFail() ? " (fastFail)" : "") + ":");
                for (PipelineRunner.PlannedJob j : jobs) {
                    ctx.out.println("  " + j.id() + (j.needs().isEmpty() ? "" : "   <- " + String.join(", ", j.needs()))
                            + (j.tags().isEmpty() ? "" : "   tags: " + String.join(", ", j.tags())));
                }
                notes.forEach(n -> ctx.out.println("note: " + n));
            }
            return Main.OK;
        }
    }
}
