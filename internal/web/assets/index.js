"use strict";
healthBadge($("#health"));
