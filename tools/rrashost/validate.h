/*
 * validate.h - RRAS's ValidateAdminDllFunctions (contract §2.2, RE-val),
 * and the choice of which callout variant rrashost calls.
 */
#ifndef RH_VALIDATE_H
#define RH_VALIDATE_H

#include "host.h"

/*
 * Checks dll's pointers as RRAS does: revision 1 or 2; both link
 * callbacks; revision 1: some AcceptNewConnection[2|3] and some
 * ConnectionHangupNotification[2|3]; revision 2: AcceptNewConnectionEx and
 * ConnectionHangupNotificationEx; the IPv4 and the IPv6 pair each both or
 * neither. Prints every reason (and hints: MinGW's short callbacks struct,
 * decorated export names) and returns 87, or NO_ERROR. Also prints notes
 * for what the documentation requires but RRAS does not check.
 */
DWORD rh_validate(const rh_dll *dll);

/* The variant rrashost calls when a DLL exports several: Ex on the Ex
 * path, otherwise the highest of 3, 2, 1 (which one RRAS prefers is not
 * known, contract §7). */
void rh_choose_variants(rh_dll *dll);

#endif /* RH_VALIDATE_H */
