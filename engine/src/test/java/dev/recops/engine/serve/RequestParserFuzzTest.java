package dev.recops.engine.serve;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Tag;

/**
 * Coverage-guided fuzzing of the request parser (Jazzer): any body is either parsed into a valid
 * query or refused with {@link RecopsException.InvalidInput} (a 400); anything else escaping
 * would be a 500. With {@code JAZZER_FUZZ=1} (scripts/test's fuzz pass) it fuzzes for a bounded
 * time; otherwise it replays the committed corpus and crash reproducers under
 * {@code src/test/resources/dev/recops/engine/serve/RequestParserFuzzTestInputs}.
 */
@Tag("fuzz")
class RequestParserFuzzTest {
    private static final RequestParser PARSER = new RequestParser(new ObjectMapper());

    @FuzzTest(maxDuration = "15s")
    void everyBodyIsAQueryOrA400(byte[] body) {
        try {
            Queries.Search q = PARSER.search(body);
            if (q.query().isBlank() || q.k() < 1 || q.k() > Queries.MAX_K) {
                throw new AssertionError("accepted an invalid search: " + q);
            }
        } catch (RecopsException.InvalidInput refused) {
            // a 400
        }
        try {
            Queries.Recommend q = PARSER.recommend(body);
            if (q.recentProductIds().isEmpty()) {
                throw new AssertionError("accepted a recommendation without products");
            }
        } catch (RecopsException.InvalidInput refused) {
            // a 400
        }
        try {
            Queries.Embed q = PARSER.embed(body);
            if (q.texts().isEmpty()) {
                throw new AssertionError("accepted an embedding of no text");
            }
        } catch (RecopsException.InvalidInput refused) {
            // a 400
        }
    }
}
