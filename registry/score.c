/* score.c — the match score: popularity and local bonus, the parts of the score stored per model. */
#include <math.h>
#include <string.h>

#include "registry/internal.h"
#include "core/banned.h"

/*
 * score = relevance + popularity + local_bonus + health
 *         (+ runnable_bonus + kind_bonus in `models search`)
 *
 *  relevance  = 0.75 * w / w_best + 0.25 * w / w_all. The step text's
 *               words (minus stop words and the words of the task's own
 *               name) each weigh idf = ln(1 + (N - n + 0.5) / (n + 0.5)),
 *               N the models of the task, n those whose id, description or
 *               tags contain the word (porter-stemmed: "tables" finds
 *               "table"); w is the weight of the words a model contains,
 *               w_best the best w, w_all the weight of all the words. So the
 *               best match scores about 1, a model matching only common
 *               words little, and one matching nothing 0. (BM25 with binary
 *               term frequency: card texts repeat words for reasons that
 *               say little about fit, and this is what makes a match read
 *               only the postings of one task.)
 *  popularity = 0.5 * min(1, log10(1 + downloads) / 10 + log10(1 + likes) / 20)
 *               (10M downloads -> 0.35, 1000 likes -> 0.075): a prior that
 *               decides between equally relevant models but does not let a
 *               famous generic model beat the one whose description fits.
 *  local_bonus = 0.1 for endpoints "local:*": they run offline, with
 *               no token, no network and no queue.
 *  health     = -1.5 * fail_rate / (1 + age / 3600 s), where fail_rate is
 *               an exponentially weighted rate of failures over the recent
 *               attempts (alpha 0.5: one failure -> 0.5, three in a row ->
 *               0.875, each success halves it) and age is the time since
 *               the last attempt. One failure (-0.75) demotes a model below
 *               a close competitor; three in a row (-1.31) below any model
 *               that works, however well its description fits; the penalty
 *               halves after an hour without news. 0 for a model never run.
 *  runnable_bonus = 0.5 in `models search` only, for a model that can run
 *               here now (enabled, and its endpoint available: a local
 *               executor that is installed, Hugging Face with HF_TOKEN set,
 *               ...). 0.5 is the most popularity gives, so at equal
 *               relevance a model the user can run ranks above any that
 *               needs what is missing here, however popular; a model that
 *               fits the words much better still ranks above one that runs.
 *               A match needs no such bonus: it only picks models that run.
 *  kind_bonus = 0.5 * k / w_all in `models search` only, k the weight of the
 *               searched words that the model's task kind names (in its name
 *               or its keywords, porter-stemmed as above), w_all as in
 *               relevance. A search finds only models whose own id,
 *               description or tags contain a word; of those, the ones whose
 *               task kind is about that word too rank above the ones that
 *               only mention it, at equal relevance however popular (0.5 is
 *               the most popularity gives): "ocr" ranks local/tesseract
 *               (image-to-text, whose keywords name OCR) above a document
 *               QA model whose description says it needs "no separate OCR
 *               step". A match needs no such bonus: its models are all of
 *               one task kind.
 * models.base stores popularity + local_bonus so that SQL can rank a task's
 * models by it through an index. Ties are broken by id.
 */

double baton__popularity(long long downloads, long long likes) {
  double d = downloads > 0 ? (double)downloads : 0.0;
  double l = likes > 0 ? (double)likes : 0.0;
  double p = log10(1.0 + d) / 10.0 + log10(1.0 + l) / 20.0;
  return 0.5 * (p > 1.0 ? 1.0 : p);
}

double baton__local_bonus(const char *endpoint) {
  return (endpoint && !strncmp(endpoint, "local:", 6)) ? BATON__LOCAL_BONUS : 0.0;
}

double baton__base_score(long long downloads, long long likes, const char *endpoint) {
  return baton__popularity(downloads, likes) + baton__local_bonus(endpoint);
}
