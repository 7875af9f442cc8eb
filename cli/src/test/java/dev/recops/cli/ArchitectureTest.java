package dev.recops.cli;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The dependency rules of docs/architecture.md, checked on the compiled classes so they cannot
 * erode: modules point one way (cli -> engine, cli -> analysis, engine and analysis -> batching);
 * engine and analysis never see picocli, nor each other; the command line has no HTTP of its own; inside engine, drill -> load -> serve and never back, and the layers under serve
 * (model, batch, catalog, telemetry, admin) know nothing of the server or the load generator.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.recops");
    }

    private static void check(ArchRule rule) {
        rule.check(classes);
    }

    @Test
    void engineNeverSeesAnalysisTheCliOrPicocli() {
        check(noClasses().that().resideInAPackage("dev.recops.engine..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.recops.analysis..", "dev.recops.cli..", "picocli.."));
    }

    @Test
    void analysisReadsFilesNeverEngineClassesNorTheCliOrPicocli() {
        check(noClasses().that().resideInAPackage("dev.recops.analysis..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.recops.engine..", "dev.recops.cli..", "picocli.."));
    }

    /** The batching policy and its simulation need nothing but the JDK: the engine's batcher and the latency model both run them. */
    @Test
    void theBatchingPolicyStandsAlone() {
        check(noClasses().that().resideInAPackage("dev.recops.batching..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.recops.batching..", "java.."));
    }

    /** The commands speak HTTP only through the engine's clients (the admin API, the load generator), so there is one of each. */
    @Test
    void theCommandLineHasNoHttpOfItsOwn() {
        check(noClasses().that().resideInAPackage("dev.recops.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("java.net.http..", "io.helidon.webclient..", "io.helidon.webserver..", "io.helidon.http..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.net.HttpURLConnection"));
    }

    @Test
    void theServerNeverSeesTheLoadGeneratorOrTheDrills() {
        check(noClasses().that().resideInAPackage("dev.recops.engine.serve..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.recops.engine.load..", "dev.recops.engine.drill.."));
    }

    @Test
    void theLoadGeneratorNeverSeesTheDrills() {
        check(noClasses().that().resideInAPackage("dev.recops.engine.load..")
                .should().dependOnClassesThat().resideInAPackage("dev.recops.engine.drill.."));
    }

    @Test
    void theLayersUnderTheServerKnowNothingOfItNorOfHttp() {
        check(noClasses().that().resideInAnyPackage("dev.recops.engine.model..", "dev.recops.engine.batch..", "dev.recops.engine.catalog..",
                        "dev.recops.engine.telemetry..", "dev.recops.engine.admin..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.recops.engine.serve..", "dev.recops.engine.load..",
                        "dev.recops.engine.drill..", "io.helidon.webserver.."));
    }

    /**
     * Tiers are chosen by tag (the failsafe pass runs blackbox, a command pass command), so a test
     * class without its tier's tag would silently never run: every black-box class is tagged, and
     * every class that runs commands through {@code CommandResult} is a command test.
     */
    @Test
    void everyTestClassCarriesItsTiersTag() {
        JavaClasses tests = new ClassFileImporter().withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS).importPackages("dev.recops.cli");
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes().that().haveSimpleNameEndingWith("IT")
                .should().beAnnotatedWith(tag("blackbox")).check(tests);
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes().that().haveSimpleNameEndingWith("Test")
                .and(com.tngtech.archunit.base.DescribedPredicate.describe("run commands through CommandResult",
                        (com.tngtech.archunit.core.domain.JavaClass c) -> c.getDirectDependenciesFromSelf().stream()
                                .anyMatch(d -> d.getTargetClass().getName().equals("dev.recops.cli.CommandResult"))))
                .should().beAnnotatedWith(tag("command")).check(tests);
    }

    private static com.tngtech.archunit.base.DescribedPredicate<com.tngtech.archunit.core.domain.JavaAnnotation<?>> tag(String name) {
        return com.tngtech.archunit.base.DescribedPredicate.describe("@Tag(\"" + name + "\")",
                a -> a.getRawType().isEquivalentTo(org.junit.jupiter.api.Tag.class) && name.equals(a.get("value").orElse(null)));
    }

    @Test
    void batchingHasNoHttpInItLikeDjlServingsWlm() {
        check(noClasses().that().resideInAnyPackage("dev.recops.engine.batch..", "dev.recops.batching..")
                .should().dependOnClassesThat().resideInAnyPackage("io.helidon..", "com.fasterxml.jackson.."));
    }
}
