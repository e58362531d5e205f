#include "core/filter/filter_parser.h"

#include <cstdint>
#include <string>
#include <utility>

#include "core/base/json.h"
#include "core/base/limits.h"
#include "core/base/strings.h"

namespace scimd::core {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// Ends a word: whitespace, grouping characters and the string quote.
bool IsDelimiter(char c) {
  return IsSpace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '"';
}

struct Token {
  enum class Kind : uint8_t { kEnd, kLParen, kRParen, kLBracket, kRBracket, kWord, kString };
  Kind kind = Kind::kEnd;
  std::string_view raw;  // the source text of the token
  std::string text;      // kString: the unescaped value
  size_t pos = 0;        // 1-based
};

// How a token is named in "found ..." messages.
std::string Describe(const Token& t) {
  if (t.kind == Token::Kind::kEnd) return "end of filter";
  std::string out;
  AppendJsonString(
      out, t.raw.size() > 40 ? std::string(t.raw.substr(0, 40)) + "..." : std::string(t.raw));
  return out;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The lexer: one token of lookahead over the filter text.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // Reads the next token into *out.
  Status Next(Token* out) {
    while (i_ < text_.size() && IsSpace(text_[i_])) ++i_;
    *out = Token();
    out->pos = i_ + 1;
    if (i_ == text_.size()) return Status::Ok();
    const char c = text_[i_];
    const size_t start = i_;
    switch (c) {
      case '(':
        out->kind = Token::Kind::kLParen;
        ++i_;
        break;
      case ')':
        out->kind = Token::Kind::kRParen;
        ++i_;
        break;
      case '[':
        out->kind = Token::Kind::kLBracket;
        ++i_;
        break;
      case ']':
        out->kind = Token::Kind::kRBracket;
        ++i_;
        break;
      case '"':
        out->kind = Token::Kind::kString;
        SCIMD_RETURN_IF_ERROR(String(out));
        break;
      default:
        out->kind = Token::Kind::kWord;
        while (i_ < text_.size() && !IsDelimiter(text_[i_])) ++i_;
    }
    out->raw = text_.substr(start, i_ - start);
    return Status::Ok();
  }

 private:
  // A JSON string (RFC 8259 §7) starting at the quote under i_.
  Status String(Token* out) {
    const size_t open = i_++;
    while (true) {
      if (i_ >= text_.size()) return FilterError(open + 1, "unterminated string");
      const char c = text_[i_];
      if (c == '"') {
        ++i_;
        return Status::Ok();
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return FilterError(i_ + 1, "control character in string (escape it)");
      }
      if (c != '\\') {
        out->text.push_back(c);
        ++i_;
        continue;
      }
      const size_t esc = i_;
      if (++i_ >= text_.size()) return FilterError(open + 1, "unterminated string");
      switch (text_[i_++]) {
        case '"': out->text.push_back('"'); break;
        case '\\': out->text.push_back('\\'); break;
        case '/': out->text.push_back('/'); break;
        case 'b': out->text.push_back('\b'); break;
        case 'f': out->text.push_back('\f'); break;
        case 'n': out->text.push_back('\n'); break;
        case 'r': out->text.push_back('\r'); break;
        case 't': out->text.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          SCIMD_RETURN_IF_ERROR(Hex4(esc, &cp));
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
            uint32_t low = 0;
            if (i_ + 1 < text_.size() && text_[i_] == '\\' && text_[i_ + 1] == 'u') {
              const size_t esc2 = i_;
              i_ += 2;
              SCIMD_RETURN_IF_ERROR(Hex4(esc2, &low));
            }
            if (low < 0xDC00 || low > 0xDFFF) {
              return FilterError(esc + 1, "unpaired surrogate in \\u escape");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return FilterError(esc + 1, "unpaired surrogate in \\u escape");
          }
          AppendUtf8(out->text, cp);
          break;
        }
        default:
          return FilterError(esc + 1,
                             "invalid escape in string (expected one of \\\" \\\\ \\/ "
                             "\\b \\f \\n \\r \\t \\uXXXX)");
      }
    }
  }

  // Four hex digits after "\u"; i_ points at the first one.
  Status Hex4(size_t esc, uint32_t* cp) {
    if (i_ + 4 > text_.size()) return FilterError(esc + 1, "expected 4 hex digits after \\u");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = text_[i_ + k];
      v <<= 4;
      if (IsDigit(h)) {
        v |= h - '0';
      } else if (h >= 'a' && h <= 'f') {
        v |= h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        v |= h - 'A' + 10;
      } else {
        return FilterError(esc + 1, "expected 4 hex digits after \\u");
      }
    }
    i_ += 4;
    *cp = v;
    return Status::Ok();
  }

  std::string_view text_;
  size_t i_ = 0;
};

// RFC 7643 §2.1 ATTRNAME = ALPHA *(nameChar), plus "$ref".
bool IsAttrName(std::string_view s) {
  if (s == "$ref") return true;
  if (s.empty() || !IsAlpha(s[0])) return false;
  for (char c : s) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// JSON number grammar (RFC 8259 §6) over the whole word.
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !IsDigit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i == s.size();
}

bool ParseOp(std::string_view w, CompareOp* op) {
  static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
      {"eq", CompareOp::kEq}, {"ne", CompareOp::kNe}, {"co", CompareOp::kCo},
      {"sw", CompareOp::kSw}, {"ew", CompareOp::kEw}, {"gt", CompareOp::kGt},
      {"ge", CompareOp::kGe}, {"lt", CompareOp::kLt}, {"le", CompareOp::kLe}};
  for (const auto& [name, value] : kOps) {
    if (EqualsCi(w, name)) {
      *op = value;
      return true;
    }
  }
  return false;
}

constexpr std::string_view kExpectedOp =
    "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)";

// Recursive descent; recursion only through Unary/ValuePath, each bounded by depth_.
class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  Result<std::unique_ptr<AstNode>> Run() {
    SCIMD_RETURN_IF_ERROR(Advance());
    SCIMD_ASSIGN_OR_RETURN(auto root, Or(false));
    if (tok_.kind != Token::Kind::kEnd) {
      return FilterError(
          tok_.pos, "expected \"and\", \"or\" or the end of the filter, found " + Describe(tok_));
    }
    return root;
  }

  // attrPath := [URI ":"] ATTRNAME ["." subAttr], the URN split at its last ':'.
  static Status ParsePath(const Token& t, AstPath* path) {
    path->pos = t.pos;
    std::string_view rest = t.raw;
    const size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
      path->urn = std::string(rest.substr(0, colon));
      rest.remove_prefix(colon + 1);
      if (rest.empty()) {
        return FilterError(t.pos + colon + 1, "expected an attribute name after the schema URN");
      }
    }
    const size_t name_pos = t.pos + (colon == std::string_view::npos ? 0 : colon + 1);
    const size_t dot = rest.find('.');
    path->attr = std::string(rest.substr(0, dot));
    if (!IsAttrName(path->attr)) {
      return FilterError(name_pos, "expected an attribute path, found " + Describe(t));
    }
    if (dot != std::string_view::npos) {
      path->sub = std::string(rest.substr(dot + 1));
      if (!IsAttrName(path->sub)) {
        return FilterError(name_pos + dot + 1,
                           "expected a sub-attribute name after \".\", found " + Describe(t));
      }
    }
    return Status::Ok();
  }

 private:
  Status Advance() { return lexer_.Next(&tok_); }

  bool AtWord(std::string_view w) const {
    return tok_.kind == Token::Kind::kWord && EqualsCi(tok_.raw, w);
  }

  Result<std::unique_ptr<AstNode>> NewNode(AstNode::Kind kind, size_t pos) {
    if (++nodes_ > kMaxFilterNodes) {
      return FilterError(pos,
                         "the filter has more than " + std::to_string(kMaxFilterNodes) + " terms");
    }
    auto n = std::make_unique<AstNode>();
    n->kind = kind;
    n->pos = pos;
    return n;
  }

  // orExpr := andExpr ("or" andExpr)*; `in_brackets`: inside a valuePath filter.
  Result<std::unique_ptr<AstNode>> Or(bool in_brackets) {
    const size_t pos = tok_.pos;
    SCIMD_ASSIGN_OR_RETURN(auto first, And(in_brackets));
    if (!AtWord("or")) return first;
    SCIMD_ASSIGN_OR_RETURN(auto node, NewNode(AstNode::Kind::kOr, pos));
    node->children.push_back(std::move(first));
    while (AtWord("or")) {
      SCIMD_RETURN_IF_ERROR(Advance());
      SCIMD_ASSIGN_OR_RETURN(auto next, And(in_brackets));
      node->children.push_back(std::move(next));
    }
    return node;
  }

  Result<std::unique_ptr<AstNode>> And(bool in_brackets) {
    const size_t pos = tok_.pos;
    SCIMD_ASSIGN_OR_RETURN(auto first, Unary(in_brackets));
    if (!AtWord("and")) return first;
    SCIMD_ASSIGN_OR_RETURN(auto node, NewNode(AstNode::Kind::kAnd, pos));
    node->children.push_back(std::move(first));
    while (AtWord("and")) {
      SCIMD_RETURN_IF_ERROR(Advance());
      SCIMD_ASSIGN_OR_RETURN(auto next, Unary(in_brackets));
      node->children.push_back(std::move(next));
    }
    return node;
  }

  Status Enter(size_t pos) {
    if (++depth_ > kMaxFilterDepth) {
      return FilterError(
          pos, "the filter nests deeper than " + std::to_string(kMaxFilterDepth) + " levels");
    }
    return Status::Ok();
  }

  // unary := "not" unary | "(" orExpr ")" | attrExpr
  Result<std::unique_ptr<AstNode>> Unary(bool in_brackets) {
    const size_t pos = tok_.pos;
    if (tok_.kind == Token::Kind::kLParen) {
      SCIMD_RETURN_IF_ERROR(Enter(pos));
      SCIMD_RETURN_IF_ERROR(Advance());
      SCIMD_ASSIGN_OR_RETURN(auto inner, Or(in_brackets));
      if (tok_.kind != Token::Kind::kRParen) {
        return FilterError(tok_.pos, "expected \")\" to close the \"(\" at position " +
                                         std::to_string(pos) + ", found " + Describe(tok_));
      }
      --depth_;
      SCIMD_RETURN_IF_ERROR(Advance());
      return inner;
    }
    if (AtWord("not")) {
      SCIMD_RETURN_IF_ERROR(Enter(pos));
      SCIMD_ASSIGN_OR_RETURN(auto node, NewNode(AstNode::Kind::kNot, pos));
      SCIMD_RETURN_IF_ERROR(Advance());
      SCIMD_ASSIGN_OR_RETURN(auto inner, Unary(in_brackets));
      node->children.push_back(std::move(inner));
      --depth_;
      return node;
    }
    return AttrExpr(in_brackets);
  }

  // attrExpr := attrPath "pr" | attrPath compareOp compValue | valuePath
  Result<std::unique_ptr<AstNode>> AttrExpr(bool in_brackets) {
    if (tok_.kind != Token::Kind::kWord || AtWord("and") || AtWord("or")) {
      return FilterError(tok_.pos, "expected an attribute path, found " + Describe(tok_));
    }
    const Token path_tok = tok_;
    AstPath path;
    SCIMD_RETURN_IF_ERROR(ParsePath(path_tok, &path));
    SCIMD_RETURN_IF_ERROR(Advance());
    if (tok_.kind == Token::Kind::kLBracket) {
      if (in_brackets) return FilterError(tok_.pos, "a valuePath filter cannot be nested");
      if (!path.sub.empty()) {
        return FilterError(tok_.pos,
                           "a valuePath filter follows an attribute without a "
                           "sub-attribute, e.g. emails[type eq \"work\"]");
      }
      return ValuePath(std::move(path));
    }
    return Comparison(std::move(path), path_tok);
  }

  // After the attribute path: "pr" or an operator and a value.
  Result<std::unique_ptr<AstNode>> Comparison(AstPath path, const Token& path_tok) {
    if (AtWord("pr")) {
      SCIMD_ASSIGN_OR_RETURN(auto node, NewNode(AstNode::Kind::kPresent, path.pos));
      node->path = std::move(path);
      SCIMD_RETURN_IF_ERROR(Advance());
      return node;
    }
    CompareOp op;
    if (tok_.kind != Token::Kind::kWord || !ParseOp(tok_.raw, &op)) {
      return FilterError(tok_.pos, std::string(kExpectedOp) + " after " + Describe(path_tok) +
                                       ", found " + Describe(tok_));
    }
    SCIMD_ASSIGN_OR_RETURN(auto node, NewNode(AstNode::Kind::kCompare, path.pos));
    node->path = std::move(path);
    node->op = op;
    SCIMD_RETURN_IF_ERROR(Advance());
    SCIMD_RETURN_IF_ERROR(Literal(&node->value));
    return node;
  }

  // compValue := string / number / true / false / null, or a bare word (a string).
  Status Literal(AstLiteral* lit) {
    lit->pos = tok_.pos;
    if (tok_.kind == Token::Kind::kString) {
      lit->kind = AstLiteral::Kind::kString;
      lit->text = std::move(tok_.text);
    } else if (tok_.kind == Token::Kind::kWord) {
      const std::string_view w = tok_.raw;
      if (w == "true") {
        lit->kind = AstLiteral::Kind::kTrue;
      } else if (w == "false") {
        lit->kind = AstLiteral::Kind::kFalse;
      } else if (w == "null") {
        lit->kind = AstLiteral::Kind::kNull;
      } else if (IsJsonNumber(w)) {
        lit->kind = AstLiteral::Kind::kNumber;
        lit->text = std::string(w);
      } else {
        lit->kind = AstLiteral::Kind::kString;
        lit->text = std::string(w);
        lit->bare = true;
      }
    } else {
      return FilterError(tok_.pos,
                         "expected a value (a string, number, true, false or null), "
                         "found " +
                             Describe(tok_));
    }
    return Advance();
  }

  // valuePath := attrPath "[" valFilter "]" ["." subAttr op value]  (the last part is
  // Entra's form, rewritten to attr[valFilter and subAttr op value]).
  Result<std::unique_ptr<AstNode>> ValuePath(AstPath path) {
    const size_t open = tok_.pos;
    SCIMD_RETURN_IF_ERROR(Enter(open));
    SCIMD_ASSIGN_OR_RETURN(auto node, NewNode(AstNode::Kind::kValuePath, path.pos));
    node->path = std::move(path);
    SCIMD_RETURN_IF_ERROR(Advance());
    SCIMD_ASSIGN_OR_RETURN(auto inner, Or(true));
    if (tok_.kind != Token::Kind::kRBracket) {
      return FilterError(tok_.pos, "expected \"]\" to close the \"[\" at position " +
                                       std::to_string(open) + ", found " + Describe(tok_));
    }
    --depth_;
    SCIMD_RETURN_IF_ERROR(Advance());
    if (tok_.kind == Token::Kind::kWord && !tok_.raw.empty() && tok_.raw[0] == '.') {
      const Token sub_tok = tok_;
      AstPath sub;
      sub.pos = sub_tok.pos + 1;
      sub.attr = std::string(sub_tok.raw.substr(1));
      if (!IsAttrName(sub.attr)) {
        return FilterError(
            sub.pos, "expected a sub-attribute name after \"].\", found " + Describe(sub_tok));
      }
      SCIMD_RETURN_IF_ERROR(Advance());
      SCIMD_ASSIGN_OR_RETURN(auto cmp, Comparison(std::move(sub), sub_tok));
      if (inner->kind == AstNode::Kind::kAnd) {
        inner->children.push_back(std::move(cmp));
      } else {
        SCIMD_ASSIGN_OR_RETURN(auto both, NewNode(AstNode::Kind::kAnd, inner->pos));
        both->children.push_back(std::move(inner));
        both->children.push_back(std::move(cmp));
        inner = std::move(both);
      }
    }
    node->children.push_back(std::move(inner));
    return node;
  }

  Lexer lexer_;
  Token tok_;
  size_t depth_ = 0;
  size_t nodes_ = 0;
};

}  // namespace

Status FilterError(size_t pos, std::string_view message) {
  return Status::InvalidFilter("filter position " + std::to_string(pos) + ": " +
                               std::string(message));
}

Result<AstPath> ParseAttrPath(std::string_view text) {
  if (text.size() > kMaxFilterLength) {
    return Status::InvalidFilter("the attribute path is longer than " +
                                 std::to_string(kMaxFilterLength) + " bytes");
  }
  Lexer lexer(text);
  Token t;
  SCIMD_RETURN_IF_ERROR(lexer.Next(&t));
  if (t.kind != Token::Kind::kWord) {
    return FilterError(t.pos, "expected an attribute path, found " + Describe(t));
  }
  AstPath path;
  SCIMD_RETURN_IF_ERROR(Parser::ParsePath(t, &path));
  Token end;
  SCIMD_RETURN_IF_ERROR(lexer.Next(&end));
  if (end.kind != Token::Kind::kEnd) {
    return FilterError(end.pos, "expected the end of the attribute path, found " + Describe(end));
  }
  return path;
}

Result<std::unique_ptr<AstNode>> ParseFilter(std::string_view text) {
  if (text.size() > kMaxFilterLength) {
    return Status::InvalidFilter("the filter is longer than " + std::to_string(kMaxFilterLength) +
                                 " bytes");
  }
  return Parser(text).Run();
}

}  // namespace scimd::core
