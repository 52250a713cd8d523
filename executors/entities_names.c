/* entities_names.c — the entity finder's proper nouns: runs of capitalised words ("Bank of England"), people after a title, organisations and places by a word of their name, the rest as NAME; a lone word opening a sentence only with evidence of a name. */
#include "executors/entities.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/stopwords.h"
#include "executors/languages.h"
#include "core/banned.h"

#define EN_MAX_NAME_WORDS 8 /* a longer run of capitalised words goes on as another name */
#define EN_LOOKBACK 64      /* spaces and quotes looked back over for a sentence's start */
#define EN_STOP_WORD 16
#define EN_ECHO_REACH 1024  /* bytes either side looked over for the same word named elsewhere, */
#define EN_ECHO_LOOKS 64    /* at most so many places there that start as it does, */
#define EN_ECHO_OPENINGS 4  /* and of those where it opens a sentence again, so many */
#define EN_WORD_PEEK 32     /* bytes of a word looked at past its start, when only its end counts */

/* Before a person's name. */
static const char *const en_titles[] = {"mr",   "mrs",  "ms",   "miss", "mx",  "dr",
                                        "prof", "professor", "sir", "dame", "lord", "lady",
                                        "rev",  NULL};
/* Particles inside a name, between capitalised words: "Vincent van Gogh". ("of" joins only
 * after a word of en_org_words or en_loc_words: "Bank of England", not "Alice Martin of ...") */
static const char *const en_particles[] = {"de", "van", "von", "der", "den", "da", "del", "della",
                                           "di", "du", "la", "le", NULL};
/* Capitalised words that open sentences and headings without naming anything, besides the
 * stop words (core/stopwords.c). */
static const char *const en_sentence_words[] = {
    "however", "also",   "then",    "here",     "many",    "most",     "every",   "both",
    "either",  "neither", "another", "other",   "such",    "yes",      "thanks",  "thank",
    "dear",    "hello",  "hi",      "sorry",    "welcome", "although", "because", "before",
    "since",   "until",  "unless",  "once",     "why",     "whose",    "should",  "two",
    "three",   "four",   "five",    "six",      "seven",   "eight",    "nine",    "ten",
    "finally", "meanwhile", "perhaps", "maybe", "still",   "only",     "even",    "yet",
    "later",   "soon",   "again",   "never",    "always",  "sometimes", "often",  "instead",
    "note",    "notes",  "minutes", "agenda",   "summary", "subject",  "re",      "update",
    "reminder", "last",  "next",
    /* verbs that open instructions */
    "call",    "dial",   "pay",     "meet",     "see",     "send",     "find",    "take",
    "make",    "read",   "remember", "check",   "contact", "visit",    "ask",     "tell",
    "write",   "bring",  "keep",    "add",      "go",      "come",     "buy",     "book",
    "email",   "mail",   "phone",   "text",     "reply",   "ring",     "join",    "don't",
    /* pronouns that do what a person does: "Nobody said a word." */
    "nobody",  "somebody", "someone", "everyone", "everybody", "anyone",  "anybody", "none",
    "nothing", "something", "everything", "anything", NULL};
/* Common first names, that no common word shares: a capitalised word opening a sentence is a
 * name when it is one ("Alice is late."). Not "Will", "Mark", "Grace", "Rose" ... */
static const char *const en_given_names[] = {
    "aaron",   "adam",     "ahmed",    "aisha",    "alan",     "albert",   "alex",    "alexander",
    "ali",     "alice",    "amelia",   "amir",     "ana",      "anders",   "andrea",  "andrew",
    "angela",  "anna",     "anne",     "anthony",  "antonio",  "arjun",    "barbara", "ben",
    "benjamin", "bob",     "carl",     "carlos",   "caroline", "catherine", "charles", "charlotte",
    "chen",    "chloe",    "christian", "claire",  "claudia",  "daniel",   "david",   "diana",
    "dmitri",  "edward",   "elena",    "elizabeth", "emily",   "emma",     "eric",    "erik",
    "eva",     "fatima",   "francesca", "francis", "fritz",    "george",   "giovanni", "giulia",
    "hannah",  "hans",     "harry",    "helen",    "henry",    "hiroshi",  "ibrahim", "ingrid",
    "isabel",  "isabella", "ivan",     "jacob",    "james",    "jane",     "jennifer", "jessica",
    "jim",     "joe",      "johan",    "john",     "jonathan", "jorge",    "jose",    "joseph",
    "juan",    "julia",    "karen",    "katarzyna", "kenji",   "klaus",    "kwame",   "lars",
    "laura",   "linda",    "lisa",     "luca",     "lucas",    "lucia",    "lucy",    "luis",
    "marco",   "margaret", "maria",    "marie",    "martin",   "mary",     "matthew", "michael",
    "miguel",  "mohammed", "muhammad", "natalia",  "nina",     "nora",     "olga",    "oliver",
    "olivia",  "omar",     "pablo",    "patricia", "paul",     "peter",    "pierre",  "piotr",
    "priya",   "rachel",   "rebecca",  "richard",  "robert",   "samuel",   "sarah",   "sofia",
    "sophia",  "sophie",   "stefan",   "steven",   "susan",    "sven",     "thomas",  "tom",
    "victor",  "william",  "yusuf",    "zoe",      "zo\xc3\xab", "jos\xc3\xa9",
    "fran\xc3\xa7ois", "j\xc3\xbcrgen", "s\xc3\xb8ren", NULL};
/* Words after a name that tell of a person: "Zoltan said he would come." */
static const char *const en_person_verbs[] = {
    "said",     "says",     "asked",    "asks",      "told",     "tells",   "replied",
    "replies",  "answered", "explained", "explains", "wrote",    "writes",  "thinks",
    "thought",  "believes", "admitted", "insisted",  "whispered", "shouted", "laughed",
    "smiled",   "nodded",   "agreed",   "promised",  "phoned",   "emailed", NULL};
/* A word of an organisation's name. */
static const char *const en_org_words[] = {
    "bank",    "university", "college",   "school",      "council",   "committee", "company",
    "corporation", "corp",   "inc",       "ltd",         "llc",       "plc",       "gmbh",
    "group",   "institute",  "foundation", "association", "agency",   "ministry",  "department",
    "museum",  "library",    "hospital",  "church",      "party",     "club",      "society",
    "federation", "union",   "commission", "court",      "trust",     "airlines",  "airways",
    "police",  "army",       "navy",      NULL};
/* A word of a place's name. */
static const char *const en_loc_words[] = {
    "street", "road",   "avenue", "lane",  "boulevard", "square", "bridge", "river", "lake",
    "mount",  "mountains", "island", "islands", "bay", "sea", "ocean", "valley", "county",
    "city",   "province", "park", "airport", "station", "isle", "gulf", "cape", "kingdom",
    "republic", "states", NULL};
/* Well-known places: countries, continents, capitals and other large cities, as English text
 * names them. A lone word opening a sentence is a name when it is one ("London is big."), and a
 * name that is one, whole, is a place. Not those as often a person or a common word: Chad,
 * Georgia, Jordan, Florence, Sofia, Victoria, Nice, Reading ... */
static const char *const en_places[] = {
    /* countries, and their parts and short names */
    "afghanistan", "albania", "algeria", "america", "argentina", "armenia", "australia", "austria",
    "bangladesh", "belgium", "bolivia", "brazil", "britain", "bulgaria", "cambodia", "canada",
    "chile", "china", "colombia", "costa rica", "croatia", "cuba", "cyprus", "denmark", "ecuador",
    "egypt", "el salvador", "england", "estonia", "ethiopia", "finland", "france", "germany",
    "ghana", "great britain", "greece", "guatemala", "haiti", "hong kong", "hungary", "iceland",
    "india", "indonesia", "iran", "iraq", "ireland", "israel", "italy", "jamaica", "japan", "kenya",
    "korea", "kuwait", "latvia", "lebanon", "lithuania", "luxembourg", "malaysia", "mali", "malta",
    "mexico", "monaco", "morocco", "myanmar", "nepal", "netherlands", "new zealand", "nigeria",
    "north korea", "norway", "pakistan", "palestine", "panama", "peru", "philippines", "poland",
    "portugal", "qatar", "romania", "russia", "saudi arabia", "scotland", "serbia", "singapore",
    "slovakia", "slovenia", "south africa", "south korea", "spain", "sri lanka", "sudan", "sweden",
    "switzerland", "syria", "taiwan", "tanzania", "thailand", "tunisia", "turkey", "t\xc3\xbcrkiye",
    "uganda", "ukraine", "united arab emirates", "uk", "usa", "uae", "uruguay", "venezuela",
    "vietnam", "wales", "yemen", "zimbabwe",
    /* continents */
    "africa", "antarctica", "asia", "europe", "north america", "south america",
    /* capitals and other large cities */
    "amsterdam", "ankara", "athens", "baghdad", "bangkok", "barcelona", "beijing", "beirut",
    "berlin", "bogot\xc3\xa1", "bogota", "boston", "brussels", "bucharest", "budapest",
    "buenos aires", "cairo", "chicago", "copenhagen", "delhi", "dhaka", "dubai", "dublin",
    "edinburgh", "geneva", "glasgow", "hanoi", "havana", "helsinki", "istanbul", "jakarta",
    "jerusalem", "johannesburg", "kabul", "karachi", "kyiv", "kiev", "kuala lumpur", "lagos",
    "lima", "lisbon", "london", "los angeles", "madrid", "manchester", "manila", "melbourne",
    "mexico city", "montreal", "moscow", "mumbai", "munich", "nairobi", "new delhi", "new york",
    "oslo", "ottawa", "paris", "prague", "rio de janeiro", "riyadh", "rome", "san francisco",
    "santiago", "s\xc3\xa3o paulo", "sao paulo", "seoul", "shanghai", "stockholm", "sydney",
    "taipei", "tehran", "tel aviv", "tokyo", "toronto", "vancouver", "venice", "vienna", "warsaw",
    "zurich", "z\xc3\xbcrich", NULL};

typedef struct en_span {
  size_t start, end;
} en_span;

/* Does the word at `at` start with a capital: A-Z, or À-Þ in UTF-8? */
static bool en_capital(const baton__en_text *t, size_t at) {
  unsigned char c = baton__en_at(t, at), d = baton__en_at(t, at + 1);
  return isupper(c) || (c == 0xC3 && d >= 0x80 && d <= 0x9E && d != 0x97);
}

/* Capitalised words that are never a name: "I" ("I'm"), months and weekdays (they are dates),
 * "Today". */
static bool en_never_name(const baton__en_text *t, const en_span *w) {
  size_t n = w->end - w->start;
  if (baton__en_at(t, w->start) == 'I' && (n == 1 || baton__en_at(t, w->start + 1) == '\''))
    return true;
  return baton__en_lookup(baton__en_months, t, w->start, w->end) >= 0 ||
         baton__en_lookup(baton__en_weekdays, t, w->start, w->end) >= 0 ||
         (n > 1 && baton__en_at(t, w->end - 1) == 's' &&
          baton__en_lookup(baton__en_weekdays, t, w->start, w->end - 1) >= 0) ||
         baton__en_lookup(baton__en_relative_days, t, w->start, w->end) >= 0;
}

/* The word w into buf (EN_STOP_WORD bytes), lower-cased when asked; false when it is longer. */
static bool en_copy(const baton__en_text *t, const en_span *w, char *buf, bool lower) {
  size_t n = w->end - w->start;
  if (n >= EN_STOP_WORD)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = baton__en_at(t, w->start + i);
    buf[i] = (char)(lower ? tolower(c) : c);
  }
  buf[n] = '\0';
  return true;
}

/* Is the word a stop word, a sentence-opening word or a title, whatever its case? */
static bool en_stop(const baton__en_text *t, const en_span *w) {
  char low[EN_STOP_WORD];
  if (!en_copy(t, w, low, true))
    return false;
  return baton__is_stop_word(low) ||
         baton__en_lookup(en_sentence_words, t, w->start, w->end) >= 0 ||
         baton__en_lookup(en_titles, t, w->start, w->end) >= 0;
}

/* Does a sentence (or a line, or the text) start at `at`, past quotes and brackets? */
static bool en_sentence_start(const baton__en_text *t, size_t at) {
  size_t p = at;
  for (; p > 0 && at - p < EN_LOOKBACK; p--) {
    char c = t->s[p - 1];
    if (c == '\n' || (c && strchr(".!?:;", c)))
      return true;
    if (p >= 3 && (memcmp(t->s + p - 3, "\xe2\x80\x9c", 3) == 0 ||
                   memcmp(t->s + p - 3, "\xe2\x80\x98", 3) == 0))
      p -= 2; /* with the loop's p--, past the quote */
    else if (!c || !strchr(" \t\r\"'([*-", c))
      return false;
  }
  return p == 0 || at - p >= EN_LOOKBACK;
}

/* May the lower-case word s join a name after the words w[0, n)? */
static bool en_joins(const baton__en_text *t, const en_span *s, const en_span *w, size_t n) {
  static const char *const of[] = {"of", NULL}, *const the[] = {"the", NULL};
  if (!n || !islower(baton__en_at(t, s->start)))
    return false;
  if (baton__en_lookup(of, t, s->start, s->end) >= 0)
    return baton__en_lookup(en_org_words, t, w[n - 1].start, w[n - 1].end) >= 0 ||
           baton__en_lookup(en_loc_words, t, w[n - 1].start, w[n - 1].end) >= 0;
  if (baton__en_lookup(the, t, s->start, s->end) >= 0) /* "Bank of the West" */
    return baton__en_lookup(of, t, w[n - 1].start, w[n - 1].end) >= 0;
  return baton__en_lookup(en_particles, t, s->start, s->end) >= 0;
}

/* The words of the name at `at` into w (at most EN_MAX_NAME_WORDS): capitalised words, and
 * the small words that join them (en_joins), one or two spaces apart. Returns how many, the
 * last capitalised. */
static size_t en_name_words(const baton__en_text *t, size_t at, en_span *w) {
  size_t n = 0, last = 0, p = at;
  while (n < EN_MAX_NAME_WORDS) {
    en_span s = {p, baton__en_word_end(t, p)};
    bool cap = s.end > p && en_capital(t, p) && !en_never_name(t, &s);
    if (!cap && !en_joins(t, &s, w, n))
      break;
    w[n++] = s;
    last = cap ? n : last;
    size_t q = s.end;
    while (q - s.end < 2 && (baton__en_at(t, q) == ' ' || baton__en_at(t, q) == '\t'))
      q++;
    if (q == s.end)
      break;
    p = q;
  }
  return last;
}

/* The text up to `reach` bytes past `at`: where a word only needs reading so far. */
static baton__en_text en_near(const baton__en_text *t, size_t at, size_t reach) {
  return (baton__en_text){t->s, t->len - at > reach ? at + reach : t->len};
}

/* Where the word [start, end) ends without an "'s" or "’s" after it ("Alice's": Alice). */
static size_t en_bare_end(const baton__en_text *t, size_t start, size_t end) {
  bool s_end = end - start > 2 && baton__en_at(t, end - 1) == 's';
  if (s_end && baton__en_at(t, end - 2) == '\'')
    return end - 2;
  if (s_end && end - start > 4 && memcmp(t->s + end - 4, "\xe2\x80\x99", 3) == 0)
    return end - 4;
  return end;
}

/* Does a title end just before the word at p ("Dr. Weber", "Mrs Lee")? */
static bool en_title_before(const baton__en_text *t, size_t p) {
  size_t e = p, s;
  while (e > 0 && p - e < 2 && t->s[e - 1] == ' ')
    e--;
  if (e == p)
    return false;
  e -= e > 0 && t->s[e - 1] == '.';
  for (s = e; s > 0 && e - s < EN_STOP_WORD && isalpha((unsigned char)t->s[s - 1]); s--)
    ;
  return s < e && (s == 0 || !baton__en_wordc(t, s - 1)) &&
         baton__en_lookup(en_titles, t, s, e) >= 0;
}

/* Is the capitalised word w named as such where it stands: after a title, before a word of
 * speech ("Zoltan said"), or before another word of a name ("Anna Schmidt")? */
static bool en_named_here(const baton__en_text *t, const en_span *w) {
  size_t q = w->end;
  while (q - w->end < 2 && (baton__en_at(t, q) == ' ' || baton__en_at(t, q) == '\t'))
    q++;
  baton__en_text near = en_near(t, q, EN_WORD_PEEK);
  en_span next = {q, baton__en_word_end(&near, q)};
  if (en_title_before(t, w->start))
    return true;
  if (q == w->end || next.end == q)
    return false;
  return baton__en_lookup(en_person_verbs, &near, next.start, next.end) >= 0 ||
         (en_capital(&near, q) && !en_never_name(&near, &next) && !en_stop(&near, &next));
}

/* Is the word w named elsewhere within EN_ECHO_REACH bytes: capitalised where no sentence
 * starts ("... waited for Kowalski"), or opening one where it stands named (en_named_here)?
 * Looked for left to right, within the bounds above: a text of one sentence over and over takes
 * no longer than one without. */
static bool en_echoed(const baton__en_text *t, const en_span *w) {
  size_t n = w->end - w->start, looks = 0, openings = 0;
  size_t from = w->start > EN_ECHO_REACH ? w->start - EN_ECHO_REACH : 0;
  size_t to = t->len - w->end > EN_ECHO_REACH ? w->end + EN_ECHO_REACH : t->len;
  for (size_t p = from; p + n <= to && looks++ < EN_ECHO_LOOKS; p++) {
    const char *c = memchr(t->s + p, t->s[w->start], to - n + 1 - p);
    if (!c)
      break;
    p = (size_t)(c - t->s);
    if (memcmp(c, t->s + w->start, n) != 0 || p == w->start ||
        (p > 0 && baton__en_wordc(t, p - 1)))
      continue;
    baton__en_text near = en_near(t, p, n + EN_WORD_PEEK);
    en_span o = {p, en_bare_end(&near, p, baton__en_word_end(&near, p))};
    if (o.end != p + n)
      continue;
    if (!en_sentence_start(t, p) || en_named_here(t, &o))
      return true;
    if (++openings == EN_ECHO_OPENINGS)
      break;
  }
  return false;
}

/* Is the capitalised word w, alone at the start of a sentence, a name all the same? Only with
 * evidence: a known first name or place, a title or a word of speech around it, or the same word
 * named elsewhere. Else it is the sentence's first word ("Questions go to the desk."). */
static bool en_opening_name(const baton__en_text *t, const en_span *w) {
  en_span bare = {w->start, en_bare_end(t, w->start, w->end)};
  return baton__en_lookup(en_given_names, t, bare.start, bare.end) >= 0 ||
         baton__en_lookup(en_places, t, bare.start, bare.end) >= 0 ||
         en_named_here(t, &bare) || en_echoed(t, &bare);
}

/* Words before a name that put it on a map: "the office in Leeds", "a village near Harrogate".
 * (Not "to" or "from": "send it to Anna", "a letter from Tom".) */
static const char *const en_place_preps[] = {"in", "near", "outside", "around", "across",
                                             "throughout", NULL};

/* One-word names of things, not places, that follow "in" or "near" ("in Markdown", "near
 * Christmas"): formats, programs and programming languages, feasts; none also a place's or a
 * person's name ("in Java" is the island, "Swift" a surname). */
static const char *const en_misc_words[] = {
    "markdown", "latex", "json", "yaml", "xml", "html", "csv", "pdf", "excel", "powerpoint",
    "python", "javascript", "typescript", "kotlin", "linux", "christmas", "easter",
    "thanksgiving", "halloween", "ramadan", "hanukkah", "diwali", "passover", NULL};

/* Is the one word w a language's English name ("in French", "Spanish lessons")? */
static bool en_language(const baton__en_text *t, const en_span *w) {
  char word[EN_STOP_WORD];
  if (!en_copy(t, w, word, false))
    return false;
  const char *code = baton__lang_by_name(word);
  return code && strcasecmp(baton__lang_name(code), word) == 0;
}

/* Does the word right before `at` put what follows on a map (en_place_preps)? */
static bool en_after_place_prep(const baton__en_text *t, size_t at) {
  size_t e = at;
  while (e > 0 && baton__en_at(t, e - 1) == ' ')
    e--;
  size_t b = e;
  while (b > 0 && isalpha(baton__en_at(t, b - 1)))
    b--;
  return e < at && b < e && baton__en_lookup(en_place_preps, t, b, e) >= 0;
}

/* PER after a title, else ORG or LOC when a word of the name says so, LOC when the whole name
 * (without "'s") is a well-known place, or is one word, no first name nor possessive, after "in"
 * or "near"; MISC for a language's name or one of en_misc_words, else NAME. */
static const char *en_group(const baton__en_text *t, const en_span *w, size_t n, bool titled) {
  if (titled)
    return "PER";
  for (size_t i = 0; i < n; i++)
    if (baton__en_lookup(en_org_words, t, w[i].start, w[i].end) >= 0)
      return "ORG";
  for (size_t i = 0; i < n; i++)
    if (baton__en_lookup(en_loc_words, t, w[i].start, w[i].end) >= 0)
      return "LOC";
  size_t end = en_bare_end(t, w[n - 1].start, w[n - 1].end);
  if (n == 1 &&
      (en_language(t, &w[0]) || baton__en_lookup(en_misc_words, t, w[0].start, end) >= 0))
    return "MISC";
  bool lone = n == 1 && end == w[0].end && /* one word, not "in Anna's car" nor "near Anna" */
              baton__en_lookup(en_given_names, t, w[0].start, w[0].end) < 0;
  return baton__en_lookup(en_places, t, w[0].start, end) >= 0 ||
                 (lone && en_after_place_prep(t, w[0].start))
             ? "LOC"
             : "NAME";
}

/* Where a title before a name ends ("Dr", "Mrs."), the name's first word's start; else at. */
static size_t en_after_title(const baton__en_text *t, size_t at) {
  size_t e = baton__en_word_end(t, at), p;
  if (baton__en_lookup(en_titles, t, at, e) < 0)
    return at;
  e += baton__en_at(t, e) == '.';
  for (p = e; p - e < 2 && baton__en_at(t, p) == ' '; p++)
    ;
  en_span next = {p, baton__en_word_end(t, p)};
  return p > e && next.end > p && en_capital(t, p) && !en_never_name(t, &next) ? p : at;
}

bool baton__entities_name(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  if (!en_capital(t, at))
    return false;
  size_t from = en_after_title(t, at), first = 0, end;
  en_span w[EN_MAX_NAME_WORDS];
  size_t n = en_name_words(t, from, w);
  bool opens = from == at && n && en_sentence_start(t, at);
  while (opens && first < n && (en_stop(t, &w[first]) || !en_capital(t, w[first].start)))
    first++;
  if (first == n || (n - first == 1 && (en_stop(t, &w[first]) ||
                                        w[first].end - w[first].start == 1)))
    return false;
  if (opens && n - first == 1 && baton__en_at(t, w[first].end) == ':')
    return false; /* a label opening a line: "Present: ...", "Attendees: ..." */
  if (opens && n == 1 && !en_opening_name(t, &w[0]))
    return false;
  *next = w[n - 1].end;
  end = en_bare_end(t, w[n - 1].start, w[n - 1].end);
  *hit = (baton__entity){en_group(t, w + first, n - first, from > at), w[first].start, end};
  return true;
}
