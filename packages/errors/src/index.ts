export {
  type ErrorBody,
  type ErrorResponseOptions,
  errorBodyJson,
  errorCodeOf,
  errorHeaders,
  errorResponse,
  MU_ERROR_HEADER,
  MU_REQUEST_ID_HEADER,
} from './error-body.js';
export { formatMessage, isMuError, MuError, type MuErrorOptions, walkCauses } from './mu-error.js';
