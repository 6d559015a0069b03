// XGBoost's C API (Debian: libxgboost-dev). Swift sees it through this module.
#ifndef MAILSIFT_CXGBOOST_SHIM_H
#define MAILSIFT_CXGBOOST_SHIM_H
#include <xgboost/c_api.h>
#endif
