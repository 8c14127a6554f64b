package io.polyarch.cli;

import io.polyarch.aws.EcrResolver;
import io.polyarch.git.GitSource;
import io.polyarch.oci.OciJson;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.plan.PlanBuilder;
import io.polyarch.pipeline.plan.PlanSummary;
import io.polyarch.pipeline.spec.PipelineSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Print what `polyarch run` would do, as a DAG of jobs, without building or contacting anything:",
                "build[variant x platform] -> test -> push -> soci -> publish[variant], and the tags each step writes.",
                "Takes the same source, config and override flags as run."})
final class PlanCommand extends PipelineOptions implements Callable<Integer> {
    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Option(names = "--no-publish", description = "The plan of a build-only run (run --no-publish): no publish and no SOCI jobs.")
    boolean noPublish;

    @Override
    public Integer call() throws Exception {
        try (GitSource.Checkout checkout = checkout()) {
            // plan calls nothing: an ECR destination is named with the account and region the config gives, or placeholders
            PipelineSpec spec = EcrResolver.offline().resolve(spec(checkout)).spec();
            Plan plan = PlanBuilder.build(spec, checkout, !noPublish);
            if (json) {
                ctx.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(PlanSummary.of(plan)));
            } else {
                ctx.out.println("plan for " + checkout.commit().substring(0, 8) + (plan.fastFail() ? " (fastFail)" : "") + ":");
                for (Plan.Job j : plan.jobs()) {
                    ctx.out.println("  " + j.id() + (j.needs().isEmpty() ? "" : "   <- " + String.join(", ", j.needs().stream().map(Object::toString).toList()))
                            + (j.tags().isEmpty() ? "" : "   tags: " + String.join(", ", j.tags())));
                }
                plan.notes().forEach(n -> ctx.out.println("note: " + n));
            }
            return Main.OK;
        }
    }
}
