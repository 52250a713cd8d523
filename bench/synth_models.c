/* synth_models.c — deterministic synthetic models (word lists, long-tailed downloads) and step texts for the registry benchmarks. */
#include "synth_models.h"

#include "core/util.h"
#include "core/banned.h"

uint64_t next_u64(rng *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 2685821657736338717ull;
}

size_t pick(rng *r, size_t n) { return (size_t)(next_u64(r) % n); }

static const char *const archs[] = {
    "BERT", "RoBERTa", "DeBERTa", "ViT", "Swin", "ConvNeXt", "ResNet", "DETR", "YOLO", "T5",
    "BART", "Whisper", "wav2vec2", "HuBERT", "CLIP", "BLIP", "SegFormer", "DPT", "GLPN", "Marian",
    "mBART", "Pegasus", "GPT-2", "Llama", "Mistral", "SpeechT5", "VITS", "LayoutLM", "Donut",
    "TAPAS", "Stable Diffusion", "ControlNet", "MobileNet", "EfficientNet", "Electra", "XLM-R"};
static const char *const orgs[] = {"acme", "vision-lab", "speechco", "nlp-group", "bigtech",
                                   "univ-ai", "open-models", "research", "datafolk", "studio"};
static const char *const domains[] = {
    "medical", "legal", "financial", "scientific", "news", "social media", "retail", "satellite",
    "aerial", "street", "indoor", "wildlife", "agricultural", "industrial", "automotive",
    "document", "invoice", "receipt", "handwritten", "historical", "children's", "customer support",
    "biomedical", "patent", "code", "e-commerce", "sports", "music", "podcast", "meeting",
    "radiology", "microscopy", "underwater", "drone", "traffic", "fashion", "food", "kitchen",
    "warehouse", "construction"};
static const char *const objects[] = {
    "tables", "faces", "cars", "pedestrians", "text", "signs", "receipts", "invoices", "tumors",
    "cells", "birds", "plants", "weeds", "defects", "helmets", "license plates", "logos",
    "charts", "formulas", "handwriting", "speakers", "emotions", "entities", "questions",
    "summaries", "keywords", "products", "potholes", "clothes", "animals", "buildings", "roads",
    "ships", "aircraft", "shelves", "barcodes", "signatures", "stamps", "tickets", "menus"};
static const char *const langs[] = {"English", "Spanish", "French", "German", "Chinese",
                                    "Japanese", "Arabic", "Hindi", "Portuguese", "Russian",
                                    "Italian", "Korean", "Dutch", "Turkish", "Polish", "Swahili"};
static const char *const datasets[] = {"COCO", "ImageNet", "LibriSpeech", "Common Voice",
                                       "SQuAD", "CNN/DailyMail", "WMT", "ADE20K", "NYU Depth",
                                       "PubTables", "DocVQA", "GLUE", "OpenImages", "LAION",
                                       "Cityscapes", "XSum", "OPUS", "VoxCeleb", "ESC-50", "MNLI"};
static const char *const verbs[] = {"detects", "recognises", "classifies", "segments",
                                    "transcribes", "translates", "summarises", "reads",
                                    "describes", "extracts", "generates", "answers questions about",
                                    "tags", "finds", "estimates", "locates", "labels", "scores"};
static const char *const quals[] = {"fast", "small", "accurate", "robust", "multilingual",
                                    "distilled", "quantized", "large", "lightweight",
                                    "state-of-the-art", "fine-tuned", "zero-shot", "efficient",
                                    "real-time", "on-device", "high-resolution"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void task_words(const char *task, char *out, size_t cap) {
  baton__fmt(out, cap, "%s", task);
  for (char *p = out; *p; p++)
    if (*p == '-')
      *p = ' ';
}

void synth_write_models(FILE *f, const char *prefix, size_t first, size_t n,
                        const baton__taskspec *tasks, size_t n_tasks, rng *r) {
  for (size_t i = first; i < first + n; i++) {
    const char *task = tasks[i % n_tasks].name;
    char tw[128];
    task_words(task, tw, sizeof tw);
    const char *arch = archs[pick(r, N_OF(archs))];
    char arch_id[64]; /* ids take no spaces */
    baton__fmt(arch_id, sizeof arch_id, "%s", arch);
    for (char *p = arch_id; *p; p++)
      if (*p == ' ')
        *p = '-';
    char desc[1024];
    baton__fmt(desc, sizeof desc,
               "A %s %s %s model for %s: it %s %s in %s %s and %s data. Trained on %s, "
               "evaluated on %s %s. Works best with %s input.",
               quals[pick(r, N_OF(quals))], quals[pick(r, N_OF(quals))], arch, tw,
               verbs[pick(r, N_OF(verbs))], objects[pick(r, N_OF(objects))],
               domains[pick(r, N_OF(domains))], objects[pick(r, N_OF(objects))],
               domains[pick(r, N_OF(domains))], datasets[pick(r, N_OF(datasets))],
               langs[pick(r, N_OF(langs))], domains[pick(r, N_OF(domains))],
               langs[pick(r, N_OF(langs))]);
    /* Downloads follow a long tail. */
    uint64_t u = next_u64(r) % 1000000;
    long long downloads = (long long)((u * u) / 100000000ull) * (long long)(1 + pick(r, 50));
    fprintf(f,
            "{\"id\":\"%s%s/%s-%zu\",\"task\":\"%s\",\"downloads\":%lld,\"likes\":%zu,"
            "\"meta\":{\"tags\":[\"%s\",\"%s\"]},\"description\":\"%s\"}\n",
            prefix, orgs[pick(r, N_OF(orgs))], arch_id, i, task, downloads, pick(r, 2000),
            domains[pick(r, N_OF(domains))], langs[pick(r, N_OF(langs))], desc);
  }
}

int write_models(const char *path, const char *prefix, size_t n, const baton__taskspec *tasks,
                 size_t n_tasks, uint64_t seed) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  rng r = {seed};
  synth_write_models(f, prefix, 0, n, tasks, n_tasks, &r);
  return fclose(f);
}

/* A query: 3 to 6 words of what a planner step says. */
void make_query(rng *r, char *out, size_t cap) {
  baton__fmt(out, cap, "%s %s in %s %s", verbs[pick(r, N_OF(verbs))],
             objects[pick(r, N_OF(objects))], domains[pick(r, N_OF(domains))],
             pick(r, 2) ? langs[pick(r, N_OF(langs))] : "images");
}
