/* test_entities.c — the rule-based token-classification executor: each kind of entity and where it is, names against sentence openings, its reply, its bounds, odd bytes. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "executors/executor.h"
#include "support/exec.h"
#include "support/support.h"

typedef bt_reply reply;

/* Runs the executor on text with an instruction (the request's words), or none. */
static reply tag_as_asked(const char *text, const char *instruction, size_t max_text) {
  const char *const args[] = {"text", text, "instruction", instruction, NULL};
  return bt_exec_reply(&baton__executor_entities, "token-classification", max_text, args);
}

static reply tag(const char *text, size_t max_text) { return tag_as_asked(text, NULL, max_text); }

static const char *field(const cJSON *o, const char *name) {
  return cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
}

static int number(const cJSON *o, const char *name) {
  const cJSON *n = cJSON_GetObjectItem(o, name);
  cr_assert(cJSON_IsNumber(n), "no number %s", name);
  return n->valueint;
}

/* The characters (code points) of the UTF-8 s[0, n): the offsets Hugging Face gives. */
static int chars(const char *s, size_t n) {
  int k = 0;
  for (size_t i = 0; i < n; i++)
    k += ((unsigned char)s[i] & 0xC0) != 0x80;
  return k;
}

/* The entity whose word is `word`, or NULL. */
static const cJSON *entity(const reply *r, const char *word) {
  const cJSON *it;
  cJSON_ArrayForEach(it, r->json) {
    if (strcmp(field(it, "word"), word) == 0)
      return it;
  }
  return NULL;
}

Test(executors_entities, finds_a_person_money_a_date_and_a_time_with_their_offsets) {
  const char *text = "Dr Jane Smith paid $12.50 on 3 December 2026 at 9:30.";
  static const struct {
    const char *group, *word;
    int start, end;
  } want[] = {{"PER", "Jane Smith", 3, 13},
              {"MONEY", "$12.50", 19, 25},
              {"DATE", "3 December 2026", 29, 44},
              {"TIME", "9:30", 48, 52}};
  reply r = tag(text, 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_eq(cJSON_GetArraySize(r.json), 4, "%s", r.text);
  for (int i = 0; i < 4; i++) {
    const cJSON *o = cJSON_GetArrayItem(r.json, i);
    cr_assert_str_eq(field(o, "entity_group"), want[i].group, "%s", r.text);
    cr_assert_str_eq(field(o, "word"), want[i].word);
    cr_assert_eq(number(o, "start"), want[i].start, "%s", want[i].word);
    cr_assert_eq(number(o, "end"), want[i].end, "%s", want[i].word);
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "score")), 1.0, 1e-9);
  }
  /* the text form is the Hugging Face executor's, for the tasks that follow */
  cr_assert_str_eq(r.text, "Jane Smith (PER), $12.50 (MONEY), 3 December 2026 (DATE), "
                           "9:30 (TIME)");
  bt_reply_release(&r);
}

Test(executors_entities, finds_every_kind_where_it_is) {
  static const struct {
    const char *text, *group, *word;
  } cases[] = {
      {"The invoice is due December 3, 2026 at the latest.", "DATE", "December 3, 2026"},
      {"Tickets go on sale Dec 3 online.", "DATE", "Dec 3"},
      {"The backup ran on 2026-12-03 without errors.", "DATE", "2026-12-03"},
      {"Her flight lands on 03/12/2026 in the evening.", "DATE", "03/12/2026"},
      {"Der Vertrag endet am 12.03.2026 um Mitternacht.", "DATE", "12.03.2026"},
      {"We close early on Monday for the inventory.", "DATE", "Monday"},
      {"The bakery has been open since 1998 in this street.", "DATE", "1998"},
      {"Can we talk tomorrow about the roof?", "DATE", "tomorrow"},
      {"The train leaves at 10:15 pm from platform two.", "TIME", "10:15 pm"},
      {"Breakfast is served from 9 am until late.", "TIME", "9 am"},
      {"Lunch is at noon in the garden.", "TIME", "noon"},
      {"A coffee costs \xe2\x82\xac" "3 here.", "MONEY", "\xe2\x82\xac" "3"},
      {"The repair quote came to \xc2\xa3" "1,200 in total.", "MONEY", "\xc2\xa3" "1,200"},
      {"I paid 12 dollars for the tickets.", "MONEY", "12 dollars"},
      {"The fine is 5 euros per book per week.", "MONEY", "5 euros"},
      {"Turnout rose by 12% this year.", "PERCENT", "12%"},
      {"Only 12 percent of the members voted.", "PERCENT", "12 percent"},
      {"Write to the secretary at anna.berg@riverside-library.org about it.", "EMAIL",
       "anna.berg@riverside-library.org"},
      {"The agenda is on https://example.org/minutes/2026?draft=1, as usual.", "URL",
       "https://example.org/minutes/2026?draft=1"},
      {"See www.example.com.", "URL", "www.example.com"},
      {"The caretaker's number is +44 20 7946 0958 if the alarm goes off.", "PHONE",
       "+44 20 7946 0958"},
      {"For the hall, ring (555) 123-4567 before noon.", "PHONE", "(555) 123-4567"},
      {"The meeting was chaired by Mrs. O'Neill last time.", "PER", "O'Neill"},
      {"She worked at Riverside Public Library for years.", "ORG", "Riverside Public Library"},
      {"The shop on Baker Street sells maps.", "LOC", "Baker Street"},
      {"Yesterday Alice Martin of the Bank of England spoke.", "NAME", "Alice Martin"},
      {"Yesterday Alice Martin of the Bank of England spoke.", "ORG", "Bank of England"},
      {"He studied at the University of Oxford.", "ORG", "University of Oxford"},
      {"Last summer Alice and Bob walked across Paris.", "LOC", "Paris"},
      {"She admires Vincent van Gogh's early drawings.", "NAME", "Vincent van Gogh"},
      {"Captain Jean-Luc Picard gave the order.", "NAME", "Captain Jean-Luc Picard"},
      {"\xe2\x80\x9c" "Alice is late,\xe2\x80\x9d he said.", "NAME", "Alice"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r = tag(cases[i].text, 0);
    cr_assert_eq(r.rc, 0, "%s: %s", cases[i].text, r.err);
    const cJSON *o = entity(&r, cases[i].word);
    cr_assert_not_null(o, "%s: %s not among %s", cases[i].text, cases[i].word, r.text);
    cr_assert_str_eq(field(o, "entity_group"), cases[i].group, "%s", cases[i].text);
    size_t at = (size_t)(strstr(cases[i].text, cases[i].word) - cases[i].text);
    int start = chars(cases[i].text, at), end = start + chars(cases[i].word, strlen(cases[i].word));
    cr_assert_eq(number(o, "start"), start, "%s", cases[i].text);
    cr_assert_eq(number(o, "end"), end, "%s", cases[i].text);
    bt_reply_release(&r);
  }
}

/* Hugging Face gives start and end in characters of the text (Python's str), not bytes: "é" and
 * "€" are one each, and so is each byte that is no UTF-8. */
Test(executors_entities, offsets_count_characters_not_bytes) {
  static const char cafe[] = "Caf\xc3\xa9 Zo\xc3\xab met Anna Schmidt on 3 March 2025.";
  static const char quoted[] = "\xe2\x80\x9cHi\xe2\x80\x9d \xf0\x9f\x99\x82 from Anna Schmidt, "
                               "\xe2\x82\xac" "12.";
  static const char odd[] = "\xff\xfe Anna Schmidt \xc3\xa9\xa9 \xe2\x80 on 3 March 2025";
  static const struct {
    const char *text, *word;
    int start, end;
  } cases[] = {
      {cafe, "Caf\xc3\xa9 Zo\xc3\xab", 0, 8},
      {cafe, "Anna Schmidt", 13, 25},
      {cafe, "3 March 2025", 29, 41},
      {quoted, "Anna Schmidt", 12, 24},
      {quoted, "\xe2\x82\xac" "12", 26, 29},
      {odd, "Anna Schmidt", 3, 15},
      {odd, "3 March 2025", 25, 37},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r = tag(cases[i].text, 0);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    const cJSON *o = entity(&r, cases[i].word);
    cr_assert_not_null(o, "%s not among %s", cases[i].word, r.text);
    cr_assert_eq(number(o, "start"), cases[i].start, "%s in %s", cases[i].word, r.text);
    cr_assert_eq(number(o, "end"), cases[i].end, "%s in %s", cases[i].word, r.text);
    bt_reply_release(&r);
  }
}

Test(executors_entities, a_sentence_opening_word_is_not_a_name) {
  reply r = tag("The committee met on the first Tuesday. The Bank of England kept rates. "
                "Please call Anna. Minutes of the riverside library committee.\n"
                "Present: the chair and two members.", 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_str_eq(r.text, "Tuesday (DATE), Bank of England (ORG), Anna (NAME)");
  const cJSON *bank = entity(&r, "Bank of England");
  cr_assert_eq(number(bank, "start"), 44);
  cr_assert_eq(number(bank, "end"), 59);
  bt_reply_release(&r);
}

/* A capitalised word opening a sentence that no table knows is a name only with evidence:
 * without it, "Questions" and "Police" are just the first word. */
Test(executors_entities, an_unknown_word_opening_a_sentence_is_no_name) {
  static const char *const texts[] = {
      "Questions go to the front desk.",
      "Tomorrow the shop opens at 9.",
      "Everything went well at the fair.",
      "Police closed the road for the parade.",
      "Breakfast is served from 9 am until late.\nParking costs $3 a day.",
      "We met at noon. Nobody came. \xe2\x80\x9cRefunds take a week,\xe2\x80\x9d she said.",
  };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    reply r = tag(texts[i], 0);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    const cJSON *it;
    cJSON_ArrayForEach(it, r.json) {
      const char *g = field(it, "entity_group");
      cr_assert(strcmp(g, "NAME") && strcmp(g, "PER") && strcmp(g, "ORG") && strcmp(g, "LOC"),
                "%s: %s", texts[i], r.text);
    }
    bt_reply_release(&r);
  }
  reply r = tag("Questions go to Maria Lopez at the desk.", 0);
  cr_assert_str_eq(r.text, "Maria Lopez (NAME)");
  cr_assert_eq(number(cJSON_GetArrayItem(r.json, 0), "start"), 16);
  bt_reply_release(&r);
}

/* The evidence that keeps a name opening a sentence: a known first name, a second name word, a
 * title, a word of speech after it, or the same word named elsewhere in the text. */
Test(executors_entities, a_name_opening_a_sentence_is_still_a_name) {
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"Maria said she would come. Maria is late.", "Maria (NAME), Maria (NAME)"},
      {"Anna Schmidt called.", "Anna Schmidt (NAME)"},
      {"Alice is here.", "Alice (NAME)"},
      {"Zoltan said he would come. Zoltan is late.", "Zoltan (NAME), Zoltan (NAME)"},
      {"Kowalski is late. We waited for Kowalski.", "Kowalski (NAME), Kowalski (NAME)"},
      {"Kowalski's car is red. Ask Kowalski.", "Kowalski (NAME), Kowalski (NAME)"},
      {"Dr. Weber is away. Weber is ill.", "Weber (PER), Weber (NAME)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r = tag(cases[i].text, 0);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_assert_str_eq(r.text, cases[i].want, "%s", cases[i].text);
    bt_reply_release(&r);
  }
}

/* A well-known place (a country, a capital or another large city) is a place, and evidence
 * enough of a name where it opens a sentence alone; a name holding one is not ("Paris Hilton"). */
Test(executors_entities, a_well_known_place_is_a_place_even_opening_a_sentence) {
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"London is big.", "London (LOC)"},
      {"Germany won. Germany is happy.", "Germany (LOC), Germany (LOC)"},
      {"Questions go to the desk.", "no entities found"},
      {"Brazil's team flew to Buenos Aires.", "Brazil (LOC), Buenos Aires (LOC)"},
      {"New Zealand won. She met Paris Hilton.", "New Zealand (LOC), Paris Hilton (NAME)"},
      {"The Bank of England is in London.", "Bank of England (ORG), London (LOC)"},
      /* a town no list holds, after "in" or "near"; not after "to" or "from" */
      {"The office in Leeds opens at nine.", "Leeds (LOC)"},
      {"Anna Berg lives near Harrogate.", "Anna Berg (NAME), Harrogate (LOC)"},
      {"Send it to Anna Berg, with a letter from Tom Hale.", "Anna Berg (NAME), Tom Hale (NAME)"},
      /* not a person after "in": a first name, a possessive, two words */
      {"She is interested in Anna.", "Anna (NAME)"},
      {"I am in Kowalski's car.", "Kowalski (NAME)"},
      {"He lives near John Smith.", "John Smith (NAME)"},
      /* a language's name is CoNLL's MISC, not a person's or a place's */
      {"The lessons are in French.", "French (MISC)"},
      /* nor a format, a program or a feast after "in" or "near" */
      {"Write it in Markdown for Anna in Leeds.", "Markdown (MISC), Anna (NAME), Leeds (LOC)"},
      {"Save it in Excel near Christmas.", "Excel (MISC), Christmas (MISC)"},
      {"They met in Java.", "Java (LOC)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r = tag(cases[i].text, 0);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_assert_str_eq(r.text, cases[i].want, "%s", cases[i].text);
    bt_reply_release(&r);
  }
  reply r = tag_as_asked("Germany won. Germany is happy.", "list the places", 0);
  cr_assert_str_eq(r.text, "Germany (LOC), Germany (LOC)");
  cr_assert_eq(number(cJSON_GetArrayItem(r.json, 1), "start"), 13);
  cr_assert_eq(number(cJSON_GetArrayItem(r.json, 1), "end"), 20);
  bt_reply_release(&r);
}

Test(executors_entities, words_that_only_look_like_entities_are_left_alone) {
  static const char *const texts[] = {
      "the cat slept on the mat all afternoon.",
      "May I go? I think so.",                       /* a month and "I" without a date */
      "About 2000 people came, 1 200 000 in all.",   /* numbers, thousands */
      "It is not 3.14 but close; see version 1.2.3.",
      "the order 12345678 and the book 978-3-16-148410-0 arrived.", /* an ISBN */
  };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    reply r = tag(texts[i], 0);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_assert_eq(cJSON_GetArraySize(r.json), 0, "%s: %s", texts[i], r.text);
    cr_assert_str_eq(r.text, "no entities found");
    bt_reply_release(&r);
  }
}

Test(executors_entities, bounds_the_text_and_the_number_of_entities) {
  reply r = tag("Dr Jane Smith paid $12.50 on 3 December 2026 at 9:30.", 16);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "over the limit"), "%s", r.err);
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = 0; i < 1500; i++)
    baton__sb_addf(&sb, "Meet on %d May 2026, ", i % 28 + 1);
  r = tag(sb.buf, 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_eq(cJSON_GetArraySize(r.json), 1000);
  cr_assert(strstr(r.text, "the first 1000 entities; the text holds more"), "%.200s", r.text);
  bt_reply_release(&r);
  baton__sb_release(&sb);
}

Test(executors_entities, odd_bytes_do_not_break_it) {
  static const char *const texts[] = {
      "\xff\xfe Bad \xc3 Bytes \xe2\x80 here \xc3",
      "\x80\x80\x80 Zola \xe2",
      "caf\xc3\xa9 \xc3\x89mile Zola wrote it.\xe2\x80",
      "$", "+", "(", "9:", "3 Dec", "a@", "http://", "Mr", "Mr.", "\xe2\x82", "12.", "in 2026",
  };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    reply r = tag(texts[i], 0);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    size_t len = strlen(texts[i]);
    const cJSON *it;
    cJSON_ArrayForEach(it, r.json) {
      int start = number(it, "start"), end = number(it, "end");
      cr_assert(start >= 0 && start < end && (size_t)end <= len, "%d..%d", start, end);
    }
    bt_reply_release(&r);
  }
  reply r = tag("caf\xc3\xa9 \xc3\x89mile Zola wrote it.", 0);
  cr_assert_str_eq(r.text, "\xc3\x89mile Zola (NAME)");
  bt_reply_release(&r);
}

Test(executors_entities, says_what_it_cannot_tag) {
  reply r = tag(" \n\t", 0);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "empty"), "%s", r.err);
  r = tag(NULL, 0);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "text"), "%s", r.err);
}

/* "Extract the dates from notes.txt" gets the dates only; parts of speech are refused, or noted
 * as not tagged beside entities asked for. */
Test(executors_entities, the_kinds_asked_for_are_the_kinds_given) {
  const char *text = "Dr Alice Martin met John Okafor at the Bank of England on 3 December 2026 "
                     "at 9:30 am; the fee was $120. Write to alice@example.org.";
  static const struct {
    const char *asked, *want;
  } cases[] = {
      {"Extract the dates from notes.txt", "3 December 2026 (DATE)"},
      {"list the people mentioned", "Alice Martin (PER), John Okafor (NAME)"},
      {"Find the email addresses in notes.txt", "alice@example.org (EMAIL)"},
      {"what does it cost? find the amounts", "$120 (MONEY)"},
      {"which companies are named", "John Okafor (NAME), Bank of England (ORG)"},
      {"find the phone numbers", "none of the kinds asked for (PHONE) found"},
      {"tag it, please", "Alice Martin (PER), John Okafor (NAME), Bank of England (ORG), "
                         "3 December 2026 (DATE), 9:30 am (TIME), $120 (MONEY), "
                         "alice@example.org (EMAIL)"},
      {"Find the named entities and part-of-speech tags",
       "Alice Martin (PER), John Okafor (NAME), Bank of England (ORG), 3 December 2026 (DATE), "
       "9:30 am (TIME), $120 (MONEY), alice@example.org (EMAIL) (parts of speech are not tagged "
       "here: that takes a model)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r = tag_as_asked(text, cases[i].asked, 0);
    cr_assert_eq(r.rc, 0, "%s: %s", cases[i].asked, r.err);
    cr_assert_str_eq(r.text, cases[i].want, "%s", cases[i].asked);
    bt_reply_release(&r);
  }
  reply r = tag_as_asked(text, "Tag the parts of speech in notes.txt", 0);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "not parts of speech"), "%s", r.err);
  bt_reply_release(&r);
}

/* "Extract the numbers" gets the plain numbers (CARDINAL, OntoNotes' label), in digits or words,
 * that no other entity holds; an instruction naming no kind gets none, as a CoNLL model gives
 * none. A bare hour ("at six") is a number: only "o'clock", "am" or "pm" make it a time. */
Test(executors_entities, numbers_are_given_when_asked_for) {
  static const char text[] = "Two volunteers will staff the desk; the caretaker locks up at six. "
                             "We need 3,500 leaflets.";
  static const char mixed[] = "She paid $12.50 for 3 books on 3 December 2026 at 9:30; 12% said "
                              "yes; call +44 20 7946 0958. Doors open at six o'clock.";
  static const struct {
    const char *text, *asked, *want;
  } cases[] = {
      {NULL, "Extract the numbers from notes.txt",
       "Two (CARDINAL), six (CARDINAL), 3,500 (CARDINAL)"},
      {NULL, NULL, "no entities found"},
      {NULL, "Find the entities in notes.txt", "no entities found"},
      {NULL, "find the phone numbers", "none of the kinds asked for (PHONE) found"},
      {NULL, "how many figures are there?", "Two (CARDINAL), six (CARDINAL), 3,500 (CARDINAL)"},
      {"Twenty-five came, a hundred left, three thousand stayed; 4.5 litres and 12 chairs.",
       "list the numbers", "Twenty-five (CARDINAL), a hundred (CARDINAL), three thousand "
                           "(CARDINAL), 4.5 (CARDINAL), 12 (CARDINAL)"},
      {"No one came; they helped one another. One of the 2 hundred members wrote.",
       "list the numbers",
       "One (CARDINAL), 2 hundred (CARDINAL)"},
      {"See version 1.2.3, the book 978-3-16-148410-0 and the 3rd floor.", "list the numbers",
       "none of the kinds asked for (CARDINAL) found"},
      {mixed, "the numbers", "3 (CARDINAL)"},
      {mixed, "the amounts, percentages, dates, times and phone numbers",
       "$12.50 (MONEY), 3 (CARDINAL), 3 December 2026 (DATE), 9:30 (TIME), 12% (PERCENT), "
       "+44 20 7946 0958 (PHONE), six o'clock (TIME)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r = tag_as_asked(cases[i].text ? cases[i].text : text, cases[i].asked, 0);
    cr_assert_eq(r.rc, 0, "%s: %s", cases[i].asked, r.err);
    cr_assert_str_eq(r.text, cases[i].want, "%s", cases[i].asked);
    bt_reply_release(&r);
  }
  reply r = tag_as_asked(text, "extract the numbers", 0);
  const cJSON *n = entity(&r, "3,500");
  cr_assert_str_eq(field(n, "entity_group"), "CARDINAL");
  cr_assert_eq(number(n, "start"), 75);
  cr_assert_eq(number(n, "end"), 80);
  bt_reply_release(&r);
}
