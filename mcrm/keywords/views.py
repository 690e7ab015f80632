"""Keywords & replies (owner only): what consumers can text, the shop's own aliases, and the wording of
the automatic replies."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select

from mcrm.auth.decorators import owner_required
from mcrm.auth.forms import LANGUAGE_NAMES
from mcrm.config import LANGUAGES
from mcrm.db import db
from mcrm.keywords.forms import ACTION_LABELS, AliasForm
from mcrm.keywords.models import KeywordAlias
from mcrm.keywords.replies import REPLIES, shop_texts
from mcrm.keywords.settings import KeywordSettingsError, add_alias, save_reply_texts
from mcrm.keywords.system import WHOLE, WITH_ARGUMENT, Action
from mcrm.messaging.counter import cost
from mcrm.messaging.models import MessageKind
from tenants.isolation import get_or_404

bp = Blueprint("keywords", __name__, url_prefix="/keywords")


@bp.route("/", methods=["GET", "POST"])
@owner_required
def index():
    form = AliasForm()
    if form.validate_on_submit():
        try:
            add_alias(g.tenant, form.alias.data, Action(form.action.data))
        except KeywordSettingsError as error:
            form.alias.errors.append(str(error))
        else:
            db.commit()
            flash(_("Keyword added."), "success")
            return redirect(url_for("keywords.index"))
    return _render(form)


@bp.route("/aliases/<int:alias_id>/delete", methods=["POST"])
@owner_required
def delete_alias(alias_id: int):
    alias = get_or_404(KeywordAlias, alias_id)
    if FlaskForm().validate_on_submit():
        db.delete(alias)
        db.commit()
        flash(_("Keyword %(keyword)s removed.", keyword=alias.alias.upper()), "success")
    return redirect(url_for("keywords.index"))


@bp.route("/replies", methods=["POST"])
@owner_required
def replies():
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("keywords.index"))
    texts = {(key, locale): request.form.get(f"{key}-{locale}", "") for key in REPLIES for locale in LANGUAGES}
    try:
        save_reply_texts(g.tenant, texts)
    except KeywordSettingsError as error:
        flash(str(error), "error")
        return redirect(url_for("keywords.index"))
    db.commit()
    flash(_("Replies saved."), "success")
    return redirect(url_for("keywords.index") + "#replies")


def _render(form: AliasForm):
    tenant = g.tenant
    aliases = db.scalars(select(KeywordAlias).where(KeywordAlias.tenant_id == tenant.id).order_by(KeywordAlias.alias))
    system = {action: sorted(words) for action, words in (*WHOLE.items(), *WITH_ARGUMENT.items())}
    own = shop_texts(tenant.id)
    replies = []
    for key, (purpose, default) in REPLIES.items():
        versions = []
        for locale in LANGUAGES:
            with force_locale(locale):
                default_text = str(default)
            text = own.get((key, locale), "")
            shown = text or default_text
            versions.append(
                {
                    "locale": locale,
                    "name": f"{key}-{locale}",
                    "text": text,
                    "default": default_text,
                    "cost": cost(tenant, shown, MessageKind.REPLY),
                }
            )
        replies.append({"key": key, "purpose": purpose, "versions": versions})
    return render_template(
        "keywords/index.html",
        form=form,
        aliases=list(aliases),
        system=system,
        action_labels=ACTION_LABELS,
        replies=replies,
        delete_form=FlaskForm(),
        language_names=LANGUAGE_NAMES,
    )
