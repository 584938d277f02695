/* test_schema.c: compiling schema documents and validating entities: every
** rule, the messages that name field and rule, and normalisation. */
#include "schema/sch.h"
#include "test.h"

static sch_limits lim = {.max_value_bytes = 1000, .max_depth = 8};

static sch_table *compile(const char *text, err_t *e) {
  json_error_t je;
  json_t *doc = json_loads(text, 0, &je);
  if (doc == NULL) {
    fprintf(stderr, "bad test schema: %s\n", je.text);
    return NULL;
  }
  sch_table *t = NULL;
  sch_compile(doc, NULL, &t, e);
  json_decref(doc);
  return t;
}

static void bad_schema(const char *text, const char *msg) {
  err_t e = {0};
  sch_table *t = compile(text, &e);
  CHECK(t == NULL);
  CHECK_HAS(e.msg, msg);
  sch_free(t);
}

/* validate text against t: expect rc and (if rc) a message substring */
static json_t *validate(sch_table *t, const char *text, int rc,
                        const char *msg) {
  err_t e = {0};
  json_t *v = json_loads(text, 0, NULL);
  CHECK(v != NULL);
  int got = sch_validate(t, v, &lim, &e);
  CHECK_INT(got, rc);
  if (rc) CHECK_HAS(e.msg, msg);
  if (got != REMDB_OK || rc != REMDB_OK) {
    json_decref(v);
    return NULL;
  }
  return v;
}

static const char *issues =
    "{\"name\":\"issues\",\"type\":\"object\",\"properties\":{"
    "\"title\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":5},"
    "\"status\":{\"enum\":[\"open\",\"closed\"]},"
    "\"priority\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
    "\"score\":{\"type\":\"number\",\"exclusiveMinimum\":0,"
    "\"exclusiveMaximum\":1},"
    "\"due\":{\"type\":[\"string\",\"null\"],\"format\":\"date-time\"},"
    "\"day\":{\"type\":\"string\",\"format\":\"date\"},"
    "\"flag\":{\"type\":\"boolean\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
    "\"maxLength\":3},\"maxItems\":2},"
    "\"meta\":{\"type\":\"object\",\"properties\":{\"owner\":{\"type\":"
    "\"string\"}},\"required\":[\"owner\"],\"additionalProperties\":false},"
    "\"step\":{\"type\":\"number\",\"multipleOf\":0.5},"
    "\"kind\":{\"const\":\"bug\"},"
    "\"either\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\","
    "\"format\":\"date-time\"}]}},"
    "\"required\":[\"title\",\"status\"],"
    "\"indexed_fields\":[\"status\",\"priority\",\"created_at\"],"
    "\"key_field\":\"title\",\"embedding_fields\":[\"title\"],"
    "\"embedding\":{\"dim\":8,\"metric\":\"l2\",\"provider\":\"none\"}}";

static void test_compile(void) {
  err_t e;
  sch_table *t = compile(issues, &e);
  CHECK(t != NULL);
  if (t == NULL) return;
  CHECK_STR(t->name, "issues");
  CHECK_INT(t->n_indexed, 3);
  CHECK_INT(t->indexed[0], rec_dict_id(&t->dict, "status"));
  CHECK_INT(t->indexed[2], 1); /* created_at */
  CHECK_STR(t->key_field, "title");
  CHECK_INT(t->embedding.dim, 8);
  CHECK_INT(t->embedding.metric, SCH_L2);
  CHECK_INT(rec_dict_id(&t->dict, "title"), 16);

  /* field ids survive a recompile with the stored map, new ones follow */
  json_t *fields = sch_fields_json(t);
  json_t *doc = json_loads(
      "{\"name\":\"issues\",\"properties\":{\"new\":{},\"status\":{}}}", 0,
      NULL);
  sch_table *t2 = NULL;
  CHECK_INT(sch_compile(doc, fields, &t2, &e), REMDB_OK);
  if (t2) {
    CHECK_INT(rec_dict_id(&t2->dict, "status"), rec_dict_id(&t->dict, "status"));
    CHECK_INT(rec_dict_id(&t2->dict, "new"), t->next_field);
    CHECK_INT(rec_dict_id(&t2->dict, "title"), 16); /* retired, kept */
  }
  sch_free(t2);
  json_decref(doc);
  json_decref(fields);
  sch_free(t);

  bad_schema("{\"properties\":{}}", "\"name\"");
  bad_schema("{\"name\":\"a b\",\"properties\":{}}", "must match");
  bad_schema("{\"name\":\"_x\",\"properties\":{}}", "reserved");
  bad_schema("{\"name\":\"x\"}", "x.properties: must be an object");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{\"type\":\"str\"}}}",
             "x.a.type: unknown type \"str\"");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{\"$ref\":\"#/y\"}}}",
             "keyword \"$ref\" is not supported");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{\"pattern\":\"^a\"}}}",
             "keyword \"pattern\" is not supported");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{}},"
             "\"indexed_fields\":[\"b\"]}",
             "\"b\" is not a property");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{}},"
             "\"indexed_fields\":[\"a\",\"a\"]}",
             "listed twice");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{}},\"key_field\":\"b\"}",
             "key_field: must name a property");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{\"type\":\"integer\"}},"
             "\"embedding_fields\":[\"a\"]}",
             "not a text field");
  bad_schema("{\"name\":\"x\",\"properties\":{},\"embedding\":{\"dim\":0}}",
             "embedding.dim");
  bad_schema("{\"name\":\"x\",\"properties\":{},\"embedding\":{\"dim\":4,"
             "\"metric\":\"dot\"}}",
             "embedding.metric");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a-b\":{}}}", "SQL column");
  bad_schema("{\"name\":\"x\",\"type\":\"array\",\"properties\":{}}",
             "must be \"object\"");
  bad_schema("{\"name\":\"x\",\"properties\":{\"a\":{\"maxLength\":-1}}}",
             "x.a.maxLength: must be a non-negative integer");
}

static void test_validate(void) {
  err_t e;
  sch_table *t = compile(issues, &e);
  if (t == NULL) return;
  json_t *v = validate(t, "{\"title\":\"abc\",\"status\":\"open\"}", 0, NULL);
  json_decref(v);
  validate(t, "{\"status\":\"open\"}", REMDB_SCHEMA,
           "issues.title: required field is missing");
  validate(t, "{\"title\":\"abc\",\"status\":\"opened\"}", REMDB_SCHEMA,
           "issues.status: not one of the enum values");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"priority\":\"high\"}",
           REMDB_SCHEMA, "issues.priority: expected integer, got string \"high\"");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"priority\":1.5}",
           REMDB_SCHEMA, "expected integer, got number");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"priority\":0}",
           REMDB_SCHEMA, "issues.priority: below minimum 1");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"priority\":6}",
           REMDB_SCHEMA, "issues.priority: above maximum 5");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"score\":0}",
           REMDB_SCHEMA, "not above exclusiveMinimum");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"score\":1}",
           REMDB_SCHEMA, "not below exclusiveMaximum");
  validate(t, "{\"title\":\"abcdef\",\"status\":\"open\"}", REMDB_SCHEMA,
           "issues.title: longer than maxLength 5");
  /* maxLength counts characters, not bytes */
  json_decref(validate(t, "{\"title\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\","
                          "\"status\":\"open\"}",
                       0, NULL));
  validate(t, "{\"title\":\"a\",\"status\":\"open\"}", REMDB_SCHEMA,
           "shorter than minLength 2");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"due\":\"tomorrow\"}",
           REMDB_SCHEMA, "issues.due: not an RFC 3339 date-time");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"day\":\"2023-02-30\"}",
           REMDB_SCHEMA, "issues.day: not a YYYY-MM-DD date");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"flag\":1}",
           REMDB_SCHEMA, "issues.flag: expected boolean, got integer 1");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"tags\":[\"a\",5]}",
           REMDB_SCHEMA, "issues.tags[1]: expected string, got integer");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"tags\":[\"a\",\"b\","
              "\"c\"]}",
           REMDB_SCHEMA, "more items than maxItems");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"meta\":{}}",
           REMDB_SCHEMA, "issues.meta.owner: required field is missing");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"meta\":{\"owner\":"
              "\"x\",\"y\":1}}",
           REMDB_SCHEMA, "issues.meta.y: not a declared property");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"step\":0.75}",
           REMDB_SCHEMA, "not a multiple of 0.5");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"kind\":\"task\"}",
           REMDB_SCHEMA, "const");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"either\":true}",
           REMDB_SCHEMA, "matches none of the anyOf");
  validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"x\":{\"a\":{\"b\":"
              "{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":1}}}}}}}}",
           REMDB_TOOBIG, "nested deeper than 8");
  char big[1200];
  memset(big, 'z', sizeof big);
  snprintf(big, sizeof big, "{\"title\":\"abc\",\"status\":\"open\",\"n\":\"");
  size_t l = strlen(big);
  memset(big + l, 'z', 1100 - l);
  memcpy(big + 1100, "\"}", 3);
  validate(t, big, REMDB_TOOBIG, "issues.n: value too long (1064 bytes, limit 1000)");

  /* normalisation: canonical date-time, integral reals become integers */
  v = validate(t,
               "{\"title\":\"abc\",\"status\":\"open\",\"priority\":3.0,"
               "\"due\":\"2024-05-01T12:00:00+01:00\",\"either\":"
               "\"2024-05-01T00:00:00Z\",\"extra\":[1,2]}",
               0, NULL);
  if (v) {
    CHECK(json_is_integer(json_object_get(v, "priority")));
    CHECK_STR(json_string_value(json_object_get(v, "due")),
              "2024-05-01T11:00:00.000000Z");
    CHECK_STR(json_string_value(json_object_get(v, "either")),
              "2024-05-01T00:00:00.000000Z");
    json_decref(v);
  }
  json_decref(validate(t, "{\"title\":\"abc\",\"status\":\"open\",\"due\":null}",
                       0, NULL));
  /* system fields are not validated as properties */
  json_decref(validate(t, "{\"id\":5,\"title\":\"abc\",\"status\":\"open\"}",
                       0, NULL));
  validate(t, "[1]", REMDB_INVALID, "must be a JSON object");
  sch_free(t);
}

/* compile text (it must compile) and expect sch_check_new to refuse it */
static void bad_new(const char *text, const char *msg) {
  err_t e = {0};
  sch_table *t = compile(text, &e);
  CHECK(t != NULL);
  if (t == NULL) {
    fprintf(stderr, "does not compile: %s\n", e.msg);
    return;
  }
  CHECK_INT(sch_check_new(t, true, &e), REMDB_INVALID);
  CHECK_HAS(e.msg, msg);
  sch_free(t);
}

static void good_new(const char *text) {
  err_t e = {0};
  sch_table *t = compile(text, &e);
  CHECK(t != NULL);
  if (t && sch_check_new(t, true, &e) != REMDB_OK) {
    t_fail++;
    fprintf(stderr, "refused: %s: %s\n", text, e.msg);
  }
  sch_free(t);
}

/* The common formats are enforced; other names are refused by schema add
** and, in a schema stored before that, are annotations. */
static void test_formats(void) {
  static const char *const ok[][2] = {
      {"email", "ann@example.com"},   {"email", "a.b+tag@sub.x-y.org"},
      {"email", "a@x"},               {"email", "root@[127.0.0.1]"},
      {"email", "o'brien@[IPv6:::1]"}, {"uri", "https://x.org/a?b=1#c"},
      {"uri", "urn:isbn:0451450523"}, {"uri", "mailto:a@b.c"},
      {"uri", "file:///tmp/a%20b"},   {"uuid", "0f742941-8466-8b70-817d-f3a404574c67"},
      {"date", "2024-02-29"},         {"date-time", "2024-01-01T00:00:00Z"},
      {"time", "23:59:59"},           {"time", "08:30:00.25+02:00"},
      {"time", "00:00:00Z"},          {"ipv4", "192.168.0.255"},
      {"ipv4", "0.0.0.0"},            {"ipv6", "::1"},
      {"ipv6", "2001:db8::8a2e:370:7334"}, {"ipv6", "::ffff:10.0.0.1"},
  };
  static const char *const bad[][3] = {
      {"email", "ann", "not an email address (format email)"},
      {"email", "@x.org", "format email"},
      {"email", "a@", "format email"},
      {"email", "a b@x.org", "format email"},
      {"email", "a..b@x.org", "format email"},
      {"email", "a@-x.org", "format email"},
      {"email", "a@x..org", "format email"},
      {"email", "a@b@c", "format email"},
      {"uri", "example.org/x", "not an absolute URI (format uri)"},
      {"uri", "http://x.org/a b", "format uri"},
      {"uri", "http://x.org/%zz", "format uri"},
      {"uri", "1http://x", "format uri"},
      {"uuid", "0f742941-8466-8b70-817d-f3a404574c6", "not a UUID"},
      {"uuid", "0f742941x8466-8b70-817d-f3a404574c67", "format uuid"},
      {"date", "2023-02-29", "format date"},
      {"date-time", "2024-01-01 00:00", "format date-time"},
      {"time", "24:00:00", "not an RFC 3339 time"},
      {"time", "12:00", "format time"},
      {"time", "12:00:00+2", "format time"},
      {"ipv4", "256.1.1.1", "not an IPv4 address"},
      {"ipv4", "01.2.3.4", "format ipv4"},
      {"ipv4", "1.2.3", "format ipv4"},
      {"ipv6", "1:2:3", "not an IPv6 address"},
      {"ipv6", "1::2::3", "format ipv6"},
      {"ipv6", "127.0.0.1", "format ipv6"},
  };
  char doc[256], ent[256];
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    snprintf(doc, sizeof doc,
             "{\"name\":\"f\",\"properties\":{\"v\":{\"type\":\"string\","
             "\"format\":\"%s\"}}}", ok[i][0]);
    err_t e = {0};
    sch_table *t = compile(doc, &e);
    CHECK(t != NULL);
    if (t == NULL) continue;
    CHECK_INT(sch_check_new(t, true, &e), REMDB_OK);
    snprintf(ent, sizeof ent, "{\"v\":\"%s\"}", ok[i][1]);
    json_t *v = json_loads(ent, 0, NULL);
    int rc = sch_validate(t, v, &lim, &e);
    if (rc != REMDB_OK) {
      t_fail++;
      fprintf(stderr, "format %s refused \"%s\": %s\n", ok[i][0], ok[i][1],
              e.msg);
    } else {
      t_pass++;
    }
    json_decref(v);
    sch_free(t);
  }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(doc, sizeof doc,
             "{\"name\":\"f\",\"properties\":{\"v\":{\"type\":\"string\","
             "\"format\":\"%s\"}}}", bad[i][0]);
    err_t e = {0};
    sch_table *t = compile(doc, &e);
    CHECK(t != NULL);
    if (t == NULL) continue;
    snprintf(ent, sizeof ent, "{\"v\":\"%s\"}", bad[i][1]);
    json_t *v = json_loads(ent, 0, NULL);
    int rc = sch_validate(t, v, &lim, &e);
    if (rc != REMDB_SCHEMA || !strstr(e.msg, bad[i][2])) {
      t_fail++;
      fprintf(stderr, "format %s: \"%s\" gave %d \"%s\"\n", bad[i][0],
              bad[i][1], rc, rc ? e.msg : "");
    } else {
      t_pass++;
    }
    json_decref(v);
    sch_free(t);
  }
  /* a format applies to strings only */
  sch_table *t = compile("{\"name\":\"f\",\"properties\":{\"v\":{\"type\":["
                         "\"string\",\"integer\"],\"format\":\"email\"}}}",
                         &(err_t){0});
  if (t) json_decref(validate(t, "{\"v\":5}", 0, NULL));
  if (t) validate(t, "{\"v\":\"5\"}", REMDB_SCHEMA, "f.v: not an email");
  sch_free(t);
  good_new("{\"name\":\"f\",\"properties\":{\"a\":{\"format\":\"date\"},"
           "\"b\":{\"format\":\"time\"},\"c\":{\"format\":\"uri\"},\"d\":{"
           "\"format\":\"uuid\"},\"e\":{\"format\":\"ipv4\"},\"g\":{\"format\":"
           "\"ipv6\"},\"h\":{\"format\":\"email\"},\"i\":{\"format\":"
           "\"date-time\"}}}");
  /* other names: refused for a new schema, wherever they are */
  bad_new("{\"name\":\"f\",\"properties\":{\"v\":{\"format\":\"hostname\"}}}",
          "f.v.format: \"hostname\" is not a format remdb checks (it checks "
          "date-time, date, time, email, uri, uuid, ipv4 and ipv6)");
  bad_new("{\"name\":\"f\",\"properties\":{\"v\":{\"type\":\"array\",\"items\":"
          "{\"anyOf\":[{\"type\":\"integer\"},{\"format\":\"Email\"}]}}}}",
          "f.v.items.anyOf[1].format: \"Email\" is not a format");
  bad_new("{\"name\":\"f\",\"properties\":{\"o\":{\"type\":\"object\","
          "\"properties\":{\"w\":{\"format\":\"iri\"}}}}}",
          "f.o.w.format: \"iri\"");
  /* ... but a stored schema with one still compiles, the format unchecked */
  t = compile("{\"name\":\"f\",\"properties\":{\"v\":{\"type\":\"string\","
              "\"format\":\"hostname\"}}}", &(err_t){0});
  CHECK(t != NULL);
  if (t) json_decref(validate(t, "{\"v\":\"not a host!\"}", 0, NULL));
  sch_free(t);
}

/* Schemas that could never hold a row (or a value of a property) are
** refused by schema add. */
static void test_impossible(void) {
#define P(props) "{\"name\":\"x\",\"properties\":{" props "}}"
  bad_new(P("\"id\":{\"type\":\"string\"}"),
          "x.properties: \"id\" is the system field id, which remdb sets");
  bad_new(P("\"deleted_at\":{}"), "\"deleted_at\" is the system field");
  bad_new(P("\"n\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}"),
          "x.n: minimum 5 and maximum 1 leave no number that fits");
  bad_new(P("\"n\":{\"exclusiveMinimum\":3,\"exclusiveMaximum\":3}"),
          "x.n: exclusiveMinimum 3 and exclusiveMaximum 3 leave no number");
  bad_new(P("\"n\":{\"minimum\":3,\"exclusiveMaximum\":3}"),
          "x.n: minimum 3 and exclusiveMaximum 3");
  bad_new(P("\"n\":{\"minimum\":3,\"maximum\":3,\"exclusiveMinimum\":true}"),
          "exclusiveMinimum 3 and maximum 3");
  bad_new(P("\"t\":{\"type\":\"array\",\"items\":{\"minLength\":5,"
            "\"maxLength\":2}}"),
          "x.t.items: minLength 5 is above maxLength 2");
  bad_new(P("\"t\":{\"minItems\":3,\"maxItems\":1}"),
          "x.t: minItems 3 is above maxItems 1");
  bad_new("{\"name\":\"x\",\"properties\":{\"title\":{}},"
          "\"required\":[\"titel\"]}",
          "x.required: \"titel\" is not in properties (declare it, e.g. "
          "\"titel\": {} for any value)");
  bad_new(P("\"o\":{\"type\":\"object\",\"additionalProperties\":false,"
            "\"required\":[\"z\"]}"),
          "x.o.required: \"z\" is not in properties");
  bad_new("{\"name\":\"x\",\"properties\":{\"t\":{\"type\":\"string\"}},"
          "\"embedding_fields\":[\"t\"]}",
          "x.embedding_fields: listed, but the schema has no \"embedding\" "
          "block");
  bad_new("{\"name\":\"x\",\"properties\":{\"t\":{\"enum\":[1,2]}},"
          "\"embedding_fields\":[\"t\"],\"embedding\":{\"dim\":4}}",
          "x.embedding_fields: \"t\" is not a text field");
  /* what can hold a row stays allowed */
  good_new(P("\"n\":{\"minimum\":3,\"maximum\":3}"));
  good_new(P("\"n\":{\"exclusiveMinimum\":2,\"maximum\":3}"));
  good_new("{\"name\":\"x\",\"properties\":{\"t\":{}},\"required\":[\"t\","
           "\"id\"]}");
  good_new(P("\"o\":{\"type\":\"object\",\"required\":[\"k\"]}"));
  good_new("{\"name\":\"x\",\"properties\":{\"t\":{}},"
           "\"embedding_fields\":[]}");
  good_new("{\"name\":\"x\",\"properties\":{\"t\":{\"type\":[\"string\","
           "\"null\"]}},\"embedding_fields\":[\"t\"],\"embedding\":{"
           "\"dim\":4}}");
#undef P
}

static void test_builtins(void) {
  for (int i = 0; i < sch_builtin_count; i++) {
    err_t e = {0};
    sch_table *t = compile(sch_builtin[i], &e);
    CHECK(t != NULL);
    if (t == NULL) fprintf(stderr, "builtin %d: %s\n", i, e.msg);
    if (t) CHECK_INT(sch_check_new(t, true, &e), REMDB_OK);
    sch_free(t);
  }
  err_t e;
  sch_table *r = compile(sch_builtin[0], &e);
  CHECK(r && r->id_from_uri);
  sch_free(r);
}

int main(int argc, char **argv) {
  TEST_CASE(test_compile);
  TEST_CASE(test_validate);
  TEST_CASE(test_formats);
  TEST_CASE(test_impossible);
  TEST_CASE(test_builtins);
  int rc_ = test_main(argc, argv, "test_schema");
  return rc_;
}
