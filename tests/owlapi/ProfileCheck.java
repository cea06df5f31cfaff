// OWLAPI's OWL 2 profile checker over one file, for tests/test_owl_tools.py: for each profile, a
// line "PROFILE n" with the number of violations, then "  count KIND DETAIL" for each kind.
// With a second argument, the ontology as OWLAPI read it is also saved there as RDF/XML, as
// Protégé would hand it to a reasoner.
// Run with Java's single-file launcher: java -cp "$OWLAPI_JARS" ProfileCheck.java FILE [OUT]
import java.io.File;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.profiles.Profiles;

public class ProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        // Offline: an import that cannot be read is a violation to report, not a reason to stop.
        manager.getOntologyConfigurator()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        for (Profiles profile : new Profiles[] {Profiles.OWL2_RL, Profiles.OWL2_DL}) {
            OWLProfileReport report = profile.checkOntology(ontology);
            System.out.println(profile.name() + " " + report.getViolations().size());
            Map<String, Long> kinds = report.getViolations().stream().collect(
                Collectors.groupingBy(ProfileCheck::kind, TreeMap::new, Collectors.counting()));
            kinds.forEach((kind, count) -> System.out.println("  " + count + " " + kind));
        }
        if (args.length > 1) {
            manager.saveOntology(
                ontology, new RDFXMLDocumentFormat(), IRI.create(new File(args[1]).toURI()));
        }
    }

    private static String kind(OWLProfileViolation violation) {
        String name = violation.getClass().getSimpleName();
        try {
            Object detail = violation.getExpression();
            return detail == null ? name : name + " " + detail;
        } catch (IllegalStateException noDetail) {
            return name + " " + violation.getAxiom().getAxiomType();
        }
    }
}
