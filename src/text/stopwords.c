/*
** stopwords.c: the built-in English stop-word list: articles, pronouns,
** auxiliary and modal verbs, prepositions, conjunctions and the fragments
** an apostrophe leaves behind ("don't" -> "don", "t").  Content words that
** are merely frequent ("time", "use") are not on it: BM25's IDF already
** weighs them down, and a stop word can never be searched for.
*/
#include "analyze.h"

const char *const fts_stopwords_english[] = {
    /* articles and determiners */
    "a", "an", "the", "this", "that", "these", "those", "each", "every",
    "either", "neither", "some", "any", "no", "all", "both", "such", "own",
    "other", "another", "same",
    /* pronouns */
    "i", "me", "my", "mine", "myself", "we", "us", "our", "ours",
    "ourselves", "you", "your", "yours", "yourself", "yourselves", "he",
    "him", "his", "himself", "she", "her", "hers", "herself", "it", "its",
    "itself", "they", "them", "their", "theirs", "themselves", "who", "whom",
    "whose", "which", "what", "whatever", "whoever",
    /* auxiliary and modal verbs */
    "am", "is", "are", "was", "were", "be", "been", "being", "have", "has",
    "had", "having", "do", "does", "did", "doing", "done", "can", "could",
    "shall", "should", "will", "would", "may", "might", "must", "ought",
    /* prepositions */
    "about", "above", "across", "after", "against", "along", "among",
    "around", "at", "before", "behind", "below", "beneath", "beside",
    "between", "beyond", "by", "down", "during", "except", "for", "from",
    "in", "inside", "into", "near", "of", "off", "on", "onto", "out",
    "outside", "over", "past", "since", "through", "throughout", "till",
    "to", "toward", "towards", "under", "underneath", "until", "up", "upon",
    "with", "within", "without", "via",
    /* conjunctions and connectives */
    "and", "or", "nor", "but", "if", "then", "else", "than", "so", "as",
    "because", "while", "whereas", "though", "although", "unless", "whether",
    "yet", "also", "too", "very", "just", "only", "not", "again", "further",
    "once", "here", "there", "when", "where", "why", "how", "more", "most",
    "few", "less", "much", "many", "now", "ever", "even", "still",
    /* what an apostrophe leaves: don't, it's, we'll, I'm, they've, I'd */
    "s", "t", "d", "ll", "m", "re", "ve", "don", "doesn", "didn", "isn",
    "aren", "wasn", "weren", "hasn", "haven", "hadn", "won", "wouldn",
    "shan", "shouldn", "couldn", "mustn", "mightn", "needn", "ain",
    NULL};
