package io.polyarch.pipeline.plan;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An explicit plan: jobs and the jobs each needs, as a CodeBuild batch {@code build-graph} declares them with
 * {@code depend-on}. Immutable once built; the builder refuses duplicate ids, unknown dependencies and cycles
 * (naming the cycle).
 *
 * @param <T> what a job carries (a build, a test, a publish step)
 */
public final class Dag<T> {
    /** One node. {@code ignoreFailure}: its failure neither fails the run nor stops its dependents. */
    public record Job<T>(String id, T payload, List<String> needs, boolean ignoreFailure) {
        public Job {
            needs = List.copyOf(needs);
        }
    }

    private final Map<String, Job<T>> jobs;

    private Dag(Map<String, Job<T>> jobs) {
        this.jobs = jobs;
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** Jobs in insertion order (for a topological order see {@link #order()}). */
    public Collection<Job<T>> jobs() {
        return jobs.values();
    }

    public Job<T> job(String id) {
        return jobs.get(id);
    }

    /** The ids of the jobs that need {@code id}. */
    public List<String> dependents(String id) {
        List<String> out = new ArrayList<>();
        for (Job<T> j : jobs.values()) if (j.needs().contains(id)) out.add(j.id());
        return out;
    }

    /** A topological order, stable: among jobs that are ready together, insertion order. */
    public List<String> order() {
        List<String> out = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        while (out.size() < jobs.size()) {
            for (Job<T> j : jobs.values()) {
                if (!done.contains(j.id()) && done.containsAll(j.needs())) {
                    done.add(j.id());
                    out.add(j.id());
                }
            }
        }
        return out;
    }

    public static final class Builder<T> {
        private final Map<String, Job<T>> jobs = new LinkedHashMap<>();

        public Builder<T> add(String id, T payload, List<String> needs, boolean ignoreFailure) {
            if (id == null || id.isBlank()) throw new IllegalArgumentException("a job needs an id");
            if (jobs.containsKey(id)) throw new IllegalArgumentException("two jobs are named '" + id + "'");
            jobs.put(id, new Job<>(id, payload, needs, ignoreFailure));
            return this;
        }

        public Builder<T> add(String id, T payload, String... needs) {
            return add(id, payload, List.of(needs), false);
        }

        public Dag<T> build() {
            for (Job<T> j : jobs.values()) {
                for (String n : j.needs()) {
                    if (!jobs.containsKey(n)) throw new IllegalArgumentException("job '" + j.id() + "' needs '" + n + "', which is not a job");
                    if (n.equals(j.id())) throw new IllegalArgumentException("job '" + j.id() + "' needs itself");
                }
            }
            List<String> cycle = findCycle();
            if (cycle != null) throw new IllegalArgumentException("the jobs form a cycle: " + String.join(" -> ", cycle));
            return new Dag<>(java.util.Collections.unmodifiableMap(new LinkedHashMap<>(jobs)));
        }

        private List<String> findCycle() {
            Map<String, Integer> mark = new LinkedHashMap<>(); // 1 visiting, 2 done
            for (String id : jobs.keySet()) {
                List<String> path = new ArrayList<>();
                List<String> c = visit(id, mark, path);
                if (c != null) return c;
            }
            return null;
        }

        private List<String> visit(String id, Map<String, Integer> mark, List<String> path) {
            Integer m = mark.get(id);
            if (m != null && m == 2) return null;
            if (m != null && m == 1) {
                List<String> c = new ArrayList<>(path.subList(path.indexOf(id), path.size()));
                c.add(id);
                return c;
            }
            mark.put(id, 1);
            path.add(id);
            for (String n : jobs.get(id).needs()) {
                List<String> c = visit(n, mark, path);
                if (c != null) return c;
            }
            path.remove(path.size() - 1);
            mark.put(id, 2);
            return null;
        }
    }
}
