#include "core/base/status.h"

namespace scimd::core {

StatusHttp ToHttp(Status::Code code) {
  using C = Status::Code;
  switch (code) {
    case C::kOk: return {200, ""};
    case C::kInvalidSyntax: return {400, "invalidSyntax"};
    case C::kInvalidValue: return {400, "invalidValue"};
    case C::kInvalidFilter: return {400, "invalidFilter"};
    case C::kInvalidPath: return {400, "invalidPath"};
    case C::kNoTarget: return {400, "noTarget"};
    case C::kMutability: return {400, "mutability"};
    case C::kTooMany: return {400, "tooMany"};
    case C::kBadRequest: return {400, ""};
    case C::kUnauthorized: return {401, ""};
    case C::kForbidden: return {403, ""};
    case C::kNotFound: return {404, ""};
    case C::kMethodNotAllowed: return {405, ""};
    case C::kUniqueness: return {409, "uniqueness"};
    case C::kPreconditionFailed: return {412, ""};
    case C::kNotModified: return {304, ""};
    case C::kPayloadTooLarge: return {413, ""};
    case C::kUnsupportedMediaType: return {415, ""};
    case C::kTooManyRequests: return {429, ""};
    case C::kNotImplemented: return {501, ""};
    case C::kBusy: return {503, ""};
    case C::kUnavailable: return {503, ""};
    case C::kCorruption: return {500, ""};
    case C::kIoError: return {500, ""};
    case C::kInternal: return {500, ""};
  }
  return {500, ""};
}

std::string_view CodeName(Status::Code code) {
  using C = Status::Code;
  switch (code) {
    case C::kOk: return "ok";
    case C::kInvalidSyntax: return "invalidSyntax";
    case C::kInvalidValue: return "invalidValue";
    case C::kInvalidFilter: return "invalidFilter";
    case C::kInvalidPath: return "invalidPath";
    case C::kNoTarget: return "noTarget";
    case C::kMutability: return "mutability";
    case C::kTooMany: return "tooMany";
    case C::kBadRequest: return "badRequest";
    case C::kUnauthorized: return "unauthorized";
    case C::kForbidden: return "forbidden";
    case C::kNotFound: return "notFound";
    case C::kMethodNotAllowed: return "methodNotAllowed";
    case C::kUniqueness: return "uniqueness";
    case C::kPreconditionFailed: return "preconditionFailed";
    case C::kNotModified: return "notModified";
    case C::kPayloadTooLarge: return "payloadTooLarge";
    case C::kUnsupportedMediaType: return "unsupportedMediaType";
    case C::kTooManyRequests: return "tooManyRequests";
    case C::kNotImplemented: return "notImplemented";
    case C::kBusy: return "busy";
    case C::kUnavailable: return "unavailable";
    case C::kCorruption: return "corruption";
    case C::kIoError: return "ioError";
    case C::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(CodeName(code_));
  s += ": ";
  s += detail_;
  return s;
}

}  // namespace scimd::core
