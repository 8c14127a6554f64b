package io.polyarch.pipeline.run;

import io.polyarch.ops.IndexCreator;
import io.polyarch.pipeline.plan.DagRunner;
import io.polyarch.pipeline.plan.JobId;
import io.polyarch.pipeline.plan.JobKind;
import io.polyarch.pipeline.plan.Plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@link RunReport} of a finished run, from the plan, each job's outcome and each cell's state: per variant its
 * images (pushed, reused, failed with the reason, cancelled), the index and the tags written, why it failed; images
 * pushed with no index over them; and every job's own time.
 */
final class ReportAssembler {
    /** What the run left behind besides the cells: the indexes published and why others were not. */
    record Published(Map<String, IndexCreator.Result> indexes, Map<String, List<RunReport.DestinationReport>> mirrors, Map<String, String> errors) {
    }

    private final Plan plan;
    private final boolean publish;

    ReportAssembler(Plan plan, boolean publish) {
        this.plan = plan;
        this.publish = publish;
    }

    RunReport assemble(String branch, DagRunner.Result result, Map<String, CellState> cells, Map<String, CellJob> jobs, Published published,
                       List<String> notesSoFar, long prepareMs, long t0) {
        List<String> notes = new ArrayList<>(notesSoFar);
        Map<String, Long> durations = new LinkedHashMap<>();
        durations.put("prepare", prepareMs);
        List<RunReport.VariantReport> variants = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> leftInPlace = new ArrayList<>();
        for (Plan.Variant v : plan.variants()) {
            String vname = v.name();
            List<RunReport.ImageReport> images = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (Plan.Cell cell : v.cells()) {
                RunReport.ImageReport r = image(cell, cells.get(cell.name()), jobs.get(cell.name()), result, problems);
                if (r.digest() != null && !published.indexes().containsKey(vname)) { // pushed (a failed SOCI job too), no index over it
                    leftInPlace.add((vname.isEmpty() ? "" : vname + " ") + cell.platform() + (r.tags().isEmpty() ? " (by digest only)" : " as " + String.join(", ", r.tags())));
                }
                images.add(r);
                durations.put("build:" + cell.name(), r.buildMs());
                durations.put("engine:" + cell.name(), r.engineMs());
                durations.put("push:" + cell.name(), r.pushMs());
            }
            IndexCreator.Result ir = published.indexes().get(vname);
            String failure = null;
            if (ir == null && (publish || !problems.isEmpty() || result.interrupted())) {
                if (published.errors().containsKey(vname)) problems.add(published.errors().get(vname));
                if (result.interrupted()) problems.add(0, "interrupted");
                if (problems.isEmpty()) problems.add("cancelled: another job failed and fastFail is on");
                failure = String.join("; ", problems);
                if (v.spec().ignoreFailure()) notes.add("variant " + vname + " failed, and has ignoreFailure: " + failure);
                else failures.add(vname.isEmpty() ? failure : vname + ": " + failure);
            } else if (ir != null && published.errors().containsKey(vname)) {
                // published in the first destination, then another destination's tags failed
                failure = published.errors().get(vname);
                failures.add(vname.isEmpty() ? failure : vname + ": " + failure);
            }
            if (ir != null) ir.tagsKept().forEach(k -> notes.add("left " + k.tag() + " where it is: " + k.reason()));
            variants.add(new RunReport.VariantReport(vname, v.spec().vars(), v.tags(), ir == null ? List.of() : ir.tagsWritten(),
                    ir == null ? List.of() : ir.tagsUnchanged(), ir == null ? List.of() : ir.tagsKept(), ir == null ? null : ir.index(), images, failure,
                    published.mirrors().getOrDefault(vname, List.of())));
            published.mirrors().getOrDefault(vname, List.of()).forEach(m -> {
                if (!m.tagsWritten().isEmpty()) notes.add("published the same index to " + m.repository() + " as " + String.join(", ", m.tagsWritten()));
                m.tagsKept().forEach(k -> notes.add("left " + m.repository() + ":" + k.tag() + " where it is: " + k.reason()));
            });
        }
        if (!publish) {
            leftInPlace.clear();
            notes.add("build only (--no-publish): images pushed by digest and build key; `polyarch run --reuse-only` publishes them");
        }
        if (!leftInPlace.isEmpty()) notes.add("pushed, with no index published over them: " + String.join("; ", leftInPlace));
        if (!failures.isEmpty()) {
            notes.add(published.indexes().isEmpty() ? "no index tag was written or moved"
                    : "no index tag was written or moved for " + String.join(", ", variants.stream().filter(x -> x.failure() != null && x.index() == null).map(RunReport.VariantReport::name).toList()));
        }
        // every DAG job's own time, so that the critical path can be compared with the whole run (bench/matrix.sh)
        result.outcomes().forEach((id, o) -> durations.put("job:" + id, o.duration().toMillis()));
        List<RunReport.JobReport> jobReports = new ArrayList<>();
        result.outcomes().forEach((id, o) -> {
            jobReports.add(new RunReport.JobReport(id, o.state().name().toLowerCase(Locale.ROOT), o.duration().toMillis(), o.detail()));
            if (o.state() == DagRunner.State.FAILED_IGNORED) notes.add(id + " failed, and has ignoreFailure: " + o.detail());
        });
        durations.put("total", LocalExecutor.ms(t0));
        return new RunReport(RunReport.repositoryOf(plan.destination()), plan.commit(), branch, variants, jobReports, durations, notes,
                failures.isEmpty() ? null : String.join("; ", failures));
    }

    /** One cell's image: as pushed (with SOCI), or failed with the first failed job's reason, or cancelled. */
    private static RunReport.ImageReport image(Plan.Cell cell, CellState c, CellJob j, DagRunner.Result result, List<String> problems) {
        RunReport.ImageReport r = c.report;
        // pushed, then failed after (its provenance in the push job, its SOCI index): the image is there, by digest
        for (JobKind after : List.of(JobKind.PUSH, JobKind.SOCI)) {
            DagRunner.Outcome o = result.outcomes().get(new JobId(after, cell.name()).toString());
            if (r != null && o != null && o.state() == DagRunner.State.FAILED) {
                problems.add(cell.platform() + ": " + o.detail());
                return new RunReport.ImageReport(cell.platform(), "failed", r.digest(), r.size(), r.tags(), r.buildMs(), r.engineMs(), r.pushMs(),
                        r.builder(), o.detail(), null, 0, r.reused());
            }
        }
        if (r != null) return r;
        String state = "failed";
        String error = null;
        for (JobKind k : List.of(JobKind.BUILD, JobKind.TEST, JobKind.PUSH, JobKind.SOCI)) {
            DagRunner.Outcome o = result.outcomes().get(new JobId(k, cell.name()).toString());
            if (o == null) continue;
            if (o.state() == DagRunner.State.FAILED) {
                error = o.detail();
                break;
            }
            if (o.state() == DagRunner.State.CANCELLED) {
                state = "cancelled";
                error = o.detail() != null && o.detail().contains("interrupted") ? "cancelled: the run was interrupted"
                        : "cancelled: another job failed and fastFail is on";
                break;
            }
        }
        if (error == null) error = "not run";
        if (state.equals("failed")) problems.add(cell.platform() + ": " + error);
        return new RunReport.ImageReport(cell.platform(), state, null, 0, List.of(), c.buildMs, c.output == null ? 0 : c.output.engineMs(), 0,
                j.builder().describe(), error, null, 0, null);
    }

}
