package io.polyarch;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The package table of CONVENTIONS.md as rules over the compiled classes (ArchUnit reads bytecode, so a fully
 * qualified name or a lambda counts as much as an import), as ggcr's depcheck does: polyarch packages depend only
 * downwards, third-party libraries stay in their rooms, and library code reads no global state.
 */
class ArchitectureTest {
    /** package (below io.polyarch) → the polyarch packages it may use besides itself and {@code error}. */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("error", Set.of()),
            Map.entry("oci", Set.of()),
            Map.entry("tags", Set.of()),
            Map.entry("git", Set.of()),
            Map.entry("tar", Set.of()),
            Map.entry("store", Set.of("oci")),
            Map.entry("registry.http", Set.of()),
            Map.entry("registry.auth", Set.of("registry.http")),
            Map.entry("registry", Set.of("oci", "store", "registry.http", "registry.auth")),
            Map.entry("layout", Set.of("oci", "store")),
            Map.entry("sign", Set.of("oci", "store")),
            Map.entry("ci", Set.of("oci", "store", "tags", "pipeline.spec")),
            Map.entry("build", Set.of("oci", "store")),
            Map.entry("build.docker", Set.of("oci", "store", "layout", "build", "tar")),
            Map.entry("build.buildah", Set.of("oci", "store", "layout", "build")),
            Map.entry("soci", Set.of("oci", "store", "tar")),
            Map.entry("ops", Set.of("oci", "store", "sign", "registry", "registry.http", "registry.auth", "layout")),
            Map.entry("pipeline.spec", Set.of("oci", "store", "tags")),
            Map.entry("pipeline.plan", Set.of("oci", "store", "tags", "build", "git", "pipeline.spec")),
            Map.entry("pipeline.run", Set.of("oci", "store", "registry", "registry.http", "registry.auth", "layout", "ops", "build", "build.docker",
                    "build.buildah", "tags", "soci", "git", "pipeline.spec", "pipeline.plan", "sign")),
            Map.entry("aws", Set.of("git", "oci", "store", "registry", "registry.http", "registry.auth", "layout", "ops", "tags", "pipeline.spec",
                    "pipeline.plan", "pipeline.run", "sign")),
            Map.entry("cli", Set.of("aws", "oci", "store", "registry", "registry.http", "registry.auth", "layout", "ops", "build", "build.docker",
                    "build.buildah", "tags", "pipeline.spec", "pipeline.plan", "pipeline.run", "soci", "git", "sign", "ci")));

    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.polyarch");
    }

    private static String pkg(JavaClass c) {
        String p = c.getPackageName();
        return p.equals("io.polyarch") ? "" : p.substring("io.polyarch.".length());
    }

    @Test
    void everyPackageHasARule() {
        Set<String> missing = new TreeSet<>();
        for (JavaClass c : classes) if (!ALLOWED.containsKey(pkg(c))) missing.add(c.getPackageName());
        assertEquals(Set.of(), missing, "add these packages to ArchitectureTest.ALLOWED (and CONVENTIONS.md's table)");
    }

    @Test
    void theTableItselfHasNoCycle() {
        List<String> cycles = new ArrayList<>();
        for (String p : ALLOWED.keySet()) if (reaches(p, p, new HashSet<>())) cycles.add(p);
        assertEquals(List.of(), cycles);
    }

    private static boolean reaches(String from, String target, Set<String> seen) {
        for (String d : ALLOWED.get(from)) {
            if (d.equals(target)) return true;
            if (seen.add(d) && reaches(d, target, seen)) return true;
        }
        return false;
    }

    @Test
    void packagesDependOnlyDownwards() {
        for (var e : ALLOWED.entrySet()) {
            String own = e.getKey();
            Set<String> ok = new HashSet<>(e.getValue());
            ok.add(own);
            ok.add("error");
            DescribedPredicate<JavaClass> forbidden = DescribedPredicate.describe("in a polyarch package " + own + " may not use",
                    c -> c.getPackageName().startsWith("io.polyarch.") && !ok.contains(pkg(c)));
            noClasses().that().resideInAPackage("io.polyarch." + own).should().dependOnClassesThat(forbidden)
                    .because("CONVENTIONS.md: one direction of dependency").check(classes);
        }
    }

    @Test
    void thirdPartyLibrariesStayInTheirRooms() {
        room("picocli..", "io.polyarch.cli").check(classes);
        room("software.amazon.awssdk..", "io.polyarch.aws").check(classes);
        room("org.eclipse.jgit..", "io.polyarch.git").check(classes);
    }

    private static ArchRule room(String library, String room) {
        return noClasses().that().resideOutsideOfPackage(room).should().dependOnClassesThat().resideInAPackage(library)
                .because(library + " belongs to " + room + " only");
    }

    @Test
    void libraryCodeReadsNoGlobalState() {
        noClasses().that().resideOutsideOfPackage("io.polyarch.cli")
                .should().callMethod(System.class, "getenv")
                .orShould().callMethod(System.class, "getenv", String.class)
                .orShould().callMethod(System.class, "getProperty", String.class)
                .orShould().callMethod(System.class, "getProperty", String.class, String.class)
                .orShould().callMethod(System.class, "getProperties")
                .orShould().accessField(System.class, "out")
                .orShould().accessField(System.class, "err")
                .orShould().callMethod(System.class, "exit", int.class)
                .because("the environment, system properties and the terminal belong to the CLI; library code is handed options").check(classes);
    }
}
